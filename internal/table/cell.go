package table

import "strconv"

// Dash is s, or "-" for an empty cell.
func Dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// Seconds is v in seconds to the millisecond ("3.390s"), followed by the
// limit it exceeds ("3.390s (> 3.000s)") when limit is above 0.
func Seconds(v, limit float64) string {
	s := strconv.FormatFloat(v, 'f', 3, 64) + "s"
	if limit > 0 && v > limit {
		s += " (> " + strconv.FormatFloat(limit, 'f', 3, 64) + "s)"
	}
	return s
}

// PassFail is a result cell: PASS or FAIL.
func PassFail(pass bool) string {
	if pass {
		return "PASS"
	}
	return "FAIL"
}
