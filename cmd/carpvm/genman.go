package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"

	"github.com/carpvm/carpvm/internal/atomicfile"
	"github.com/carpvm/carpvm/internal/statepaths"
)

// manEnvironment is what the ENVIRONMENT section of every page lists.
func manEnvironment() []struct{ Name, Meaning string } {
	return []struct{ Name, Meaning string }{
		{"CARPVM_CONFIG", "the configuration file (carpvm.yaml) when --config is not given"},
		{"CARPVM_<SECTION>_<KEY>", "any carpvm.yaml key, e.g. CARPVM_VSPHERE_URL, CARPVM_PAIR_ROUTERS=router-002,router-003"},
		{"CARPVM_VSPHERE_PASSWORD", "the vSphere password (never read from the file; or vsphere.password_file)"},
		{"GOVC_URL, GOVC_USERNAME, GOVC_PASSWORD, GOVC_INSECURE, GOVC_TLS_CA_CERTS", "as for govc; they fill only what carpvm's own keys leave unset"},
		{"GOVC_TLS_KNOWN_HOSTS", "as for govc: the server's thumbprint there is pinned when vsphere.thumbprint is not set"},
		// carp/node.PassEnv; named here so that the vSphere commands build
		// without the Linux node.
		{"CARPVM_NODE_PASS", "node run: the CARP passphrase when no pass file is given"},
		{statepaths.LockDirEnv, "directory of the drill and lab locks (default /run/lock/carpvm as root, else $XDG_RUNTIME_DIR/carpvm/locks)"},
		{"XDG_STATE_HOME", "where preflight --fix backups, writers' locks and the drill history live (default ~/.local/state; a relative path is ignored)"},
	}
}

// newGenManCmd writes man pages for the whole command tree (make man).
func newGenManCmd(app *App) *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:    "gen-man --dir DIR",
		Short:  "Write section 1 man pages for every carpvm command into DIR/man1",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			man1 := filepath.Join(dir, "man1")
			if err := os.MkdirAll(man1, 0o755); err != nil {
				return fmt.Errorf("gen-man: %w", err)
			}
			n, err := writeManTree(cmd.Root(), man1, "carpvm "+currentBuild().Version)
			if err != nil {
				return fmt.Errorf("gen-man: %w", err)
			}
			fmt.Fprintf(app.IO.ErrOut, "%d man pages written to %s (MANPATH=%s man carpvm)\n", n, man1, dir)
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "docs/man", "man directory; the pages go to DIR/man1")
	return cmd
}

// writeManTree writes c's page and its available subcommands' into dir,
// named as cobra/doc's GenManTree names them (carpvm-preflight-rollback.1),
// and returns how many it wrote.
func writeManTree(c *cobra.Command, dir, source string) (int, error) {
	n := 0
	for _, sub := range c.Commands() {
		if !sub.IsAvailableCommand() || sub.IsAdditionalHelpTopicCommand() {
			continue
		}
		m, err := writeManTree(sub, dir, source)
		n += m
		if err != nil {
			return n, err
		}
	}
	name := strings.ReplaceAll(c.CommandPath(), " ", "-")
	var page bytes.Buffer
	c.DisableAutoGenTag = true // no HISTORY section stamped with today's date
	if err := doc.GenMan(c, &doc.GenManHeader{Section: "1", Source: source, Manual: "carpvm manual"}, &page); err != nil {
		return n, err
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, name+".1"), withManSections(page.Bytes()), 0o644); err != nil {
		return n, err
	}
	return n + 1, nil
}

// withManSections adds EXIT STATUS and ENVIRONMENT to a page cobra/doc
// rendered (it has no option for them), after OPTIONS and before EXAMPLE
// and SEE ALSO, in the order man-pages(7) gives.
func withManSections(page []byte) []byte {
	var s bytes.Buffer
	s.WriteString(".SH EXIT STATUS\n")
	for _, e := range exitStatuses() {
		fmt.Fprintf(&s, ".TP\n\\fB%d\\fR\n%s\n", e.Code, roffText(e.Meaning))
	}
	s.WriteString(".SH ENVIRONMENT\n")
	for _, e := range manEnvironment() {
		fmt.Fprintf(&s, ".TP\n\\fB%s\\fR\n%s\n", roffText(e.Name), roffText(e.Meaning))
	}
	at := len(page)
	for _, next := range []string{"\n.SH EXAMPLE", "\n.SH SEE ALSO"} {
		if i := bytes.Index(page, []byte(next)); i >= 0 && i+1 < at {
			at = i + 1
		}
	}
	out := append([]byte{}, page[:at]...)
	if at > 0 && out[at-1] != '\n' {
		out = append(out, '\n')
	}
	out = append(out, s.Bytes()...)
	return append(out, page[at:]...)
}

// roffText escapes one line of text for roff: backslashes and hyphens
// (which roff would render as typographic hyphens, not the minus of a
// flag).
func roffText(s string) string {
	return strings.NewReplacer(`\`, `\e`, "-", `\-`).Replace(s)
}
