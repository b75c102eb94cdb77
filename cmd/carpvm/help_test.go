package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestEveryCommandHasExampleFromDocs walks the command tree: every command
// a user runs has --help examples, and each example command appears in the
// docs (README.md, docs/), so help and docs cannot tell different stories.
func TestEveryCommandHasExampleFromDocs(t *testing.T) {
	t.Chdir(filepath.Join("..", ".."))
	files, err := docsFiles()
	if err != nil {
		t.Fatal(err)
	}
	var docs strings.Builder
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		docs.Write(b)
	}
	text := strings.Join(strings.Fields(docs.String()), " ")

	root := newRootCmd(&App{IO: IOStreams{}, Getenv: func(string) string { return "" }})
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			walk(sub)
		}
		if !c.Runnable() || c.Hidden || c.Name() == "help" || strings.HasPrefix(c.CommandPath(), "carpvm completion") {
			return
		}
		if strings.TrimSpace(c.Example) == "" {
			t.Errorf("%s: no example in --help", c.CommandPath())
			return
		}
		for _, line := range exampleCommands(c.Example) {
			if !strings.Contains(text, line) {
				t.Errorf("%s: example %q is not in the docs", c.CommandPath(), line)
			}
		}
	}
	walk(root)
}

// exampleCommands returns each example's command line, continuation lines
// joined, white space folded.
func exampleCommands(example string) []string {
	var out []string
	var cur string
	for _, line := range strings.Split(example, "\n") {
		line = strings.TrimSpace(line)
		cont := strings.HasSuffix(line, "\\")
		line = strings.TrimSpace(strings.TrimSuffix(line, "\\"))
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if cur != "" {
			cur += " " + line
		} else {
			cur = line
		}
		if !cont {
			out = append(out, strings.Join(strings.Fields(cur), " "))
			cur = ""
		}
	}
	return out
}
