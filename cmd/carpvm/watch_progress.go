package main

import (
	"context"
	"fmt"
	"time"

	"github.com/carpvm/carpvm/carp"
	"github.com/carpvm/carpvm/carp/node"
	"github.com/carpvm/carpvm/carp/witness"
)

// watchLink runs the live witness on link until ctx ends and returns the
// last snapshot. It first says where it listens, then either redraws the
// table every second (opts.Show, a terminal) starting with its header at
// once, or prints each protocol-112 frame as it arrives: progress lines on
// stderr, so that a watch on a quiet segment shows something before
// Ctrl-C.
func watchLink(ctx context.Context, io IOStreams, iface string, link node.Link, w *witness.Witness, opts node.WatchOptions) witness.Snapshot {
	io.progress("listening on %s for CARP and VRRP adverts (IP protocol 112); Ctrl-C stops and prints the summary", iface)
	if opts.Show != nil {
		opts.Refresh = time.Second
		opts.Show(w.Snapshot(time.Now()))
	} else {
		link = announcingLink{Link: link, announce: func(f carp.Frame) { io.progress("%s", advertLine(time.Now(), f)) }}
	}
	return node.Watch(ctx, link, w, opts)
}

// announcingLink hands each frame it reads to announce as well.
type announcingLink struct {
	node.Link
	announce func(carp.Frame)
}

func (l announcingLink) ReadFrame(b []byte) (int, error) {
	n, err := l.Link.ReadFrame(b)
	if err == nil {
		if f, perr := carp.ParseFrame(b[:n]); perr == nil {
			l.announce(f)
		}
	}
	return n, err
}

// advertLine describes one frame for a person: when, from where, and the
// CARP header when it is one.
func advertLine(at time.Time, f carp.Frame) string {
	line := fmt.Sprintf("%s protocol 112 from %s (%s)", at.Format("15:04:05.000"), f.Src, f.SrcMAC)
	var a carp.Advert
	if a.UnmarshalBinary(f.Payload) == nil {
		line = fmt.Sprintf("%s CARP vhid %d from %s (%s) advbase %d advskew %d", at.Format("15:04:05.000"), a.VHID, f.Src, f.SrcMAC, a.AdvBase, a.AdvSkew)
	}
	return line
}
