package workflow

import (
	"os"

	"github.com/carpvm/carpvm/carp/node"
	"github.com/carpvm/carpvm/config"
)

// CheckedConfig is a configuration file as config check reads it: the
// pairs of a carpvm.yaml (a file, a fleet, a directory of them) or a
// node.yaml's node.
type CheckedConfig struct {
	Kind  config.FileKind
	Pairs []*config.Config
	Node  *node.Config
}

// CheckConfig loads path as the commands that read it do: a node.yaml as
// node run, a carpvm.yaml as preflight (only the pair named pair, if not
// ""), then checks the pairs' virtual MACs across the fleet. Kind is set
// even when the file is refused.
func CheckConfig(path string, getenv func(string) string, pair string) (CheckedConfig, error) {
	cc := CheckedConfig{Kind: config.KindCarpvm}
	pairs, err := loadToCheck(path, getenv, &cc)
	if err != nil {
		return cc, err
	}
	if pair != "" {
		c, err := config.SelectPair(pairs, pair)
		if err != nil {
			return cc, err
		}
		pairs = []*config.Config{c}
	}
	cc.Pairs = pairs
	return cc, config.CheckVMACs(pairs)
}

func loadToCheck(path string, getenv func(string) string, cc *CheckedConfig) ([]*config.Config, error) {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return config.LoadPath(path, getenv)
	}
	v, err := config.NewViper(path, getenv)
	if err != nil {
		return nil, err
	}
	if cc.Kind = config.KindOf(v); cc.Kind == config.KindNode {
		cc.Node, err = node.LoadConfig(path, getenv)
		return nil, err
	}
	return config.LoadFleet(v, getenv)
}
