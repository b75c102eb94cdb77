// Package table prints carpvm's tables in one style: for people on a
// terminal, tablewriter's borders with long cells wrapped, fitted to
// the terminal's width when it is known (Terminal), and below the width
// a table can fit printed as one block of key: value lines per row; for scripts,
// golden files and pipes, plain aligned columns with no borders, no
// wrapping and no trailing blanks, one row per line.
package table
