package carp

import "time"

const sec = time.Second

// t0 is the fake clock's origin in every machine test.
var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
