package table

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// Layout is how a table meets a terminal of a given width.
type Layout struct {
	// Width is the terminal's width in columns; 0 means unknown, and
	// long cells wrap at ColumnMax as before.
	Width int
	// Drop names the columns that may be left out, the first first, when
	// the table does not fit Width even with every cell wrapped at
	// minColumn. Columns not named are never dropped.
	Drop []string
}

// minColumn is the narrowest a wrapped column gets (or its header's
// width, when wider): narrower, a cell is more line breaks than text, and
// leaving a column out reads better.
const minColumn = 12

// border is the width a bordered table adds per column ("│ " and " "),
// and once more for the last "│".
const border = 3

// fit lays header and rows out for width: columns named in drop are left
// out in order while even the narrowest wrapping does not fit, then every
// column gets at least its minimum and the rest of the width goes to the
// columns whose cells are longest; cells are wrapped to their column.
// It returns the columns left out.
func fit(width int, drop []string, header []string, rows [][]string) ([]string, [][]string, []string) {
	var dropped []string
	for {
		natural, least := columnWidths(header, rows)
		if sum(least)+border*len(header)+1 <= width {
			widths := share(width-border*len(header)-1, natural, least)
			return header, wrapRows(rows, widths), dropped
		}
		i := -1
		for len(drop) > 0 && i < 0 {
			i = slices.Index(header, drop[0])
			if i >= 0 {
				dropped = append(dropped, drop[0])
			}
			drop = drop[1:]
		}
		if i < 0 {
			// Nothing left to drop: the narrowest layout, wider than width.
			return header, wrapRows(rows, least), dropped
		}
		header = slices.Delete(slices.Clone(header), i, i+1)
		out := make([][]string, len(rows))
		for r, row := range rows {
			out[r] = slices.Delete(slices.Clone(row), i, i+1)
		}
		rows = out
	}
}

// columnWidths returns each column's natural width (its longest line) and
// its least (its header, or minColumn when its cells are wider).
func columnWidths(header []string, rows [][]string) (natural, least []int) {
	natural, least = make([]int, len(header)), make([]int, len(header))
	for i, h := range header {
		natural[i] = utf8.RuneCountInString(h)
		for _, r := range rows {
			if i < len(r) {
				for _, l := range strings.Split(r[i], "\n") {
					natural[i] = max(natural[i], utf8.RuneCountInString(l))
				}
			}
		}
		least[i] = max(utf8.RuneCountInString(h), min(natural[i], minColumn))
	}
	return natural, least
}

// share hands room columns of width out by water-filling: the widest cap
// that fits, every column as wide as its natural width up to the cap (and
// at least its least), so that narrow columns stay whole and the long
// ones share the rest; what the cap leaves goes to the capped columns,
// one column each, left to right.
func share(room int, natural, least []int) []int {
	capped := func(c int) []int {
		w := make([]int, len(natural))
		for i := range w {
			w[i] = max(least[i], min(natural[i], c))
		}
		return w
	}
	c := 0
	for c < slices.Max(natural) && sum(capped(c+1)) <= room {
		c++
	}
	widths := capped(c)
	for left, i := room-sum(widths), 0; left > 0 && i < len(widths); i++ {
		if widths[i] < natural[i] {
			widths[i]++
			left--
		}
	}
	return widths
}

func sum(s []int) int {
	n := 0
	for _, v := range s {
		n += v
	}
	return n
}

func wrapRows(rows [][]string, widths []int) [][]string {
	out := make([][]string, len(rows))
	for r, row := range rows {
		out[r] = make([]string, len(row))
		for i, c := range row {
			if i < len(widths) {
				c = wrap(c, widths[i])
			}
			out[r][i] = c
		}
	}
	return out
}

// wrap breaks s into lines of at most width runes, at blanks where it
// can, inside a word longer than width where it must.
func wrap(s string, width int) string {
	var lines []string
	for _, para := range strings.Split(s, "\n") {
		line := ""
		for _, word := range strings.Fields(para) {
			for utf8.RuneCountInString(word) > width {
				if line != "" {
					lines, line = append(lines, line), ""
				}
				r := []rune(word)
				lines, word = append(lines, string(r[:width])), string(r[width:])
			}
			switch {
			case line == "":
				line = word
			case utf8.RuneCountInString(line)+1+utf8.RuneCountInString(word) <= width:
				line += " " + word
			default:
				lines, line = append(lines, line), word
			}
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}
