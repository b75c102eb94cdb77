package render

import (
	"fmt"
	"io"
	"strings"

	"github.com/carpvm/carpvm/config"
)

// File is one rendered file: where it goes on the router and its content.
type File struct {
	Path    string
	Mode    string // e.g. "0644"; "0755" for scripts
	Content string
}

// Files is what one router needs, in the order to write them.
type Files []File

// WriteTo prints every file under a "# ==> path <==" banner, the way an
// operator pastes them.
func (fs Files) WriteTo(w io.Writer) (int64, error) {
	var b strings.Builder
	for i, f := range fs {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "# ==> %s (mode %s) <==\n%s", f.Path, f.Mode, f.Content)
	}
	n, err := io.WriteString(w, b.String())
	return int64(n), err
}

// Secrets maps a network name to its CARP passphrase. A nil map renders
// placeholders.
type Secrets map[string]config.Secret

// passOrPlaceholder returns the passphrase of n, or a placeholder naming
// its pass file, and whether the value is real.
func (s Secrets) passOrPlaceholder(n config.Network) (string, bool) {
	if sec, ok := s[n.Name]; ok && sec.IsSet() {
		return sec.Reveal(), true
	}
	if n.PassFile != "" {
		return "<contents of " + n.PassFile + ">", false
	}
	return "<passphrase of " + n.Name + ">", false
}

// findRouter returns the router named name (or whose VM is name) and its index.
func findRouter(c *config.Config, name string) (config.Router, error) {
	var names []string
	for _, r := range c.Pair.Routers {
		if r.Name == name || r.VM == name {
			return r, nil
		}
		names = append(names, r.Name)
	}
	return config.Router{}, fmt.Errorf("render: no router named %q; want one of %s", name, strings.Join(names, ", "))
}

// header is the first comment of every rendered file.
func header(router config.Router, what string) string {
	return "# " + headerText(router, what) + "\n"
}

// headerText is header's words, for a file whose writer adds the "# ".
func headerText(router config.Router, what string) string {
	return fmt.Sprintf("%s for %s, rendered by carpvm render from carpvm.yaml: edit carpvm.yaml, not this file.", what, router.Name)
}

// masterWords says whether router is group g's preferred master.
func masterWords(router config.Router, g config.Group) string {
	if g.Master == router.Name {
		return "this router is its preferred master"
	}
	return "backup (" + g.Master + " is its preferred master)"
}
