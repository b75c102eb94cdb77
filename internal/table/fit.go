package table

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// Layout is how a table meets a terminal of a given width (Terminal).
type Layout struct {
	// Drop names the columns that may be left out, the first first, when
	// the table does not fit the width even with every cell wrapped at
	// minColumn. Columns not named are never dropped.
	Drop []string
	// Whole names the columns whose cells are never split inside a word
	// (check IDs, which people copy back into --check): such a column is
	// at least as wide as its longest word.
	Whole []string
	// Keep, when set, names the words never split in any column (a check
	// ID in a fix's text): a column is at least as wide as its longest
	// such word.
	Keep func(word string) bool
}

// minColumn is the narrowest a wrapped column gets (or its header's
// width, when wider): narrower, a cell is more line breaks than text, and
// leaving a column out reads better.
const minColumn = 12

// border is the width a bordered table adds per column ("│ " and " "),
// and once more for the last "│".
const border = 3

// fit lays header and rows out for width: columns named in l.Drop are
// left out in order while even the narrowest wrapping does not fit, then
// every column gets at least its minimum and the rest of the width goes
// to the columns whose cells are longest; cells are wrapped to their
// column. It returns the columns left out; ok is false when even the
// narrowest layout, every droppable column left out, is wider than
// width (narrowest), and the rows are to be printed as blocks.
func fit(l Layout, width int, header []string, rows [][]string) (_ []string, _ [][]string, dropped []string, ok bool) {
	drop := l.Drop
	for {
		natural, least := columnWidths(header, rows, l)
		if sum(least)+border*len(header)+1 <= width {
			widths := share(width-border*len(header)-1, natural, least)
			return header, wrapRows(rows, widths), dropped, true
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
			return nil, nil, nil, false
		}
		header, rows = without(header, rows, i)
	}
}

// narrowest is the least terminal width at which fit lays the table out
// as a table: every column of l.Drop left out, every other one at its
// least width, and the borders.
func narrowest(l Layout, header []string, rows [][]string) int {
	for _, d := range l.Drop {
		if i := slices.Index(header, d); i >= 0 {
			header, rows = without(header, rows, i)
		}
	}
	_, least := columnWidths(header, rows, l)
	return sum(least) + border*len(header) + 1
}

// without is header and rows without column i.
func without(header []string, rows [][]string, i int) ([]string, [][]string) {
	out := make([][]string, len(rows))
	for r, row := range rows {
		out[r] = row
		if i < len(row) {
			out[r] = slices.Delete(slices.Clone(row), i, i+1)
		}
	}
	return slices.Delete(slices.Clone(header), i, i+1), out
}

// columnWidths returns each column's natural width (its longest line) and
// its least (its header, or minColumn when its cells are wider; its
// longest word when wider still, in a column of l.Whole, or of the words
// l.Keep keeps).
func columnWidths(header []string, rows [][]string, l Layout) (natural, least []int) {
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
		whole := slices.Contains(l.Whole, h)
		for _, r := range rows {
			if i >= len(r) || !whole && l.Keep == nil {
				continue
			}
			for _, word := range strings.Fields(r[i]) {
				if whole || l.Keep(word) {
					least[i] = max(least[i], utf8.RuneCountInString(word))
				}
			}
		}
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
				c = wrap(c, widths[i], true)
			}
			out[r][i] = c
		}
	}
	return out
}

// wrap breaks s into lines of at most width runes, at blanks where it
// can; a word longer than width is split when split is set, else it
// stands alone on a longer line.
func wrap(s string, width int, split bool) string {
	var lines []string
	for _, para := range strings.Split(s, "\n") {
		line := ""
		for _, word := range strings.Fields(para) {
			for split && utf8.RuneCountInString(word) > width {
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

// writeBlocks prints each row as a block of "key: value" lines, the keys
// the headers in lower case, values aligned after the longest key and
// wrapped at blanks to width (a word never split), blocks apart by a
// blank line: the layout of a terminal too narrow for the table.
func writeBlocks(b *strings.Builder, width int, header []string, rows [][]string) {
	keys := make([]string, len(header))
	keyWidth := 0
	for i, h := range header {
		keys[i] = strings.ToLower(h) + ":"
		keyWidth = max(keyWidth, utf8.RuneCountInString(keys[i]))
	}
	for r, row := range rows {
		if r > 0 {
			b.WriteString("\n")
		}
		for i, key := range keys {
			value := ""
			if i < len(row) {
				value = row[i]
			}
			for j, line := range strings.Split(wrap(value, max(width-keyWidth-1, 1), false), "\n") {
				if j > 0 {
					key = ""
				}
				b.WriteString(strings.TrimRight(key+strings.Repeat(" ", keyWidth-utf8.RuneCountInString(key)+1)+line, " ") + "\n")
			}
		}
	}
}
