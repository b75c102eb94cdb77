package workflow

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/failover/lab"
	"github.com/carpvm/carpvm/internal/atomicfile"
	"github.com/carpvm/carpvm/internal/jsondoc"
	"github.com/carpvm/carpvm/preflight"
	"github.com/carpvm/carpvm/vsphere/facts"
)

// FactsFormat is the "format" of the facts file `preflight --save-facts`
// writes and `lab up --facts` reads, "carpvm.facts/v1" as every document
// (architecture: Preflight output). A reader also takes the first
// version's `1`, which is the same document, and refuses anything else.
const FactsFormat = "carpvm.facts/" + jsondoc.Version

// factsFormatOne is the first version's "format", read still.
const factsFormatOne = "1"

// FactsFile is the facts file: the gathered facts and the part of the
// configuration they were gathered under, enough to run the checks again
// and to build a lab like this vSwitch. It holds no secret: no password,
// no thumbprint, no pass file, no session.
type FactsFile struct {
	Format string    `json:"format"`
	Saved  time.Time `json:"saved"`
	// Target names what was checked, without credentials.
	Target   string         `json:"target"`
	Routers  []FactsRouter  `json:"routers"`
	Networks []FactsNetwork `json:"networks"`
	Facts    *facts.Facts   `json:"facts"`
}

// FactsRouter is a router of the pair.
type FactsRouter struct {
	Name    string `json:"name"`
	VM      string `json:"vm"`
	AdvSkew int    `json:"advskew"`
}

// FactsNetwork is a configured network, without its pass file.
type FactsNetwork struct {
	Name      string `json:"name"`
	Portgroup string `json:"portgroup"`
	VHID      int    `json:"vhid"`
	VMAC      string `json:"vmac,omitempty"`
}

// NewFactsFile is the facts file of f, gathered under cfg.
func NewFactsFile(cfg *config.Config, f *facts.Facts, now time.Time) FactsFile {
	// A copy whose target carries no credentials, whoever gathered it.
	fc := *f
	fc.Target = RedactURL(f.Target)
	ff := FactsFile{Format: FactsFormat, Saved: now.UTC(), Target: fc.Target, Facts: &fc}
	for _, r := range cfg.Pair.Routers {
		ff.Routers = append(ff.Routers, FactsRouter{Name: r.Name, VM: r.VM, AdvSkew: r.AdvSkew})
	}
	for _, n := range cfg.Networks {
		fn := FactsNetwork{Name: n.Name, Portgroup: n.Portgroup, VHID: n.VHID}
		if n.VMAC != nil {
			fn.VMAC = n.VMAC.String()
		}
		ff.Networks = append(ff.Networks, fn)
	}
	return ff
}

// SaveFacts writes the facts file of f, gathered under cfg, to path
// (whole or not at all, 0600).
func SaveFacts(path string, cfg *config.Config, f *facts.Facts, now time.Time) error {
	b, err := json.MarshalIndent(NewFactsFile(cfg, f, now), "", "  ")
	if err != nil {
		return fmt.Errorf("save facts: %w", err)
	}
	if err := atomicfile.WriteFile(path, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("save facts to %s: %w", path, err)
	}
	return nil
}

// checkFactsFormat accepts FactsFormat and the first version's 1.
func checkFactsFormat(raw json.RawMessage) error {
	if len(raw) == 0 {
		return fmt.Errorf(`no "format": want %q`, FactsFormat)
	}
	var name string
	if string(raw) == factsFormatOne || json.Unmarshal(raw, &name) == nil && name == FactsFormat {
		return nil
	}
	return fmt.Errorf("format %s: want %q", raw, FactsFormat)
}

// LoadFacts reads a facts file and returns the configuration it holds
// (pair and networks only) and the facts.
func LoadFacts(path string) (*config.Config, *facts.Facts, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("facts file: %w", err)
	}
	// The outer Format, shallower, takes "format" in either form.
	var read struct {
		FactsFile
		Format json.RawMessage `json:"format"`
	}
	if err := json.NewDecoder(bytes.NewReader(b)).Decode(&read); err != nil {
		return nil, nil, fmt.Errorf("facts file %s: %w (want the JSON `carpvm preflight --save-facts` writes)", path, err)
	}
	if err := checkFactsFormat(read.Format); err != nil {
		return nil, nil, fmt.Errorf("facts file %s: %w (write it again with this carpvm's `preflight --save-facts`)", path, err)
	}
	ff := read.FactsFile
	if ff.Facts == nil {
		return nil, nil, fmt.Errorf("facts file %s: no \"facts\" object", path)
	}
	cfg := &config.Config{}
	for _, r := range ff.Routers {
		cfg.Pair.Routers = append(cfg.Pair.Routers, config.Router{Name: r.Name, VM: r.VM, AdvSkew: r.AdvSkew})
	}
	for _, n := range ff.Networks {
		cn := config.Network{Name: n.Name, Portgroup: n.Portgroup, Group: config.Group{VHID: n.VHID}}
		if n.VMAC != "" {
			mac, err := net.ParseMAC(n.VMAC)
			if err != nil {
				return nil, nil, fmt.Errorf("facts file %s: network %q: vmac %q: %w", path, n.Name, n.VMAC, err)
			}
			cn.VMAC = mac
		}
		cfg.Networks = append(cfg.Networks, cn)
	}
	return cfg, ff.Facts, nil
}

// SwitchModelFromFacts is the lab switch model of a facts file: each lab
// network takes the effective policy of the configured network of the same
// name, or on the portgroup of the lab bridge's name (IntraNought, Public).
func SwitchModelFromFacts(path string) (*lab.SwitchModel, error) {
	cfg, f, err := LoadFacts(path)
	if err != nil {
		return nil, err
	}
	m, err := switchModel(path, cfg, f)
	if err != nil {
		return nil, fmt.Errorf("facts file %s: %w", path, err)
	}
	return m, nil
}

// SwitchModelFromTopology is the lab switch model of simulator topology
// name, gathered under the simulator configuration.
func SwitchModelFromTopology(ctx context.Context, name string, progress Progress) (*lab.SwitchModel, error) {
	cfg := config.Simulator()
	f, err := Gather(ctx, cfg, name, progress)
	if err != nil {
		return nil, err
	}
	return switchModel(lab.TopologySource(name), cfg, f)
}

// switchModel maps preflight's segments onto the lab's networks.
func switchModel(source string, cfg *config.Config, f *facts.Facts) (*lab.SwitchModel, error) {
	segs := preflight.Segments(cfg, f)
	m := &lab.SwitchModel{Source: source, Nets: map[string]lab.Policy{}}
	var missing []string
	for _, n := range lab.Nets {
		s, ok := segmentFor(segs, n)
		if !ok {
			missing = append(missing, fmt.Sprintf("%q (or portgroup %s)", n.Name, n.Bridge))
			continue
		}
		m.Nets[n.Name] = lab.Policy{
			Portgroup: s.Portgroup, Distributed: s.Distributed,
			Promiscuous: s.Promiscuous, MACChanges: s.MACChanges, ForgedTransmits: s.ForgedTransmits,
			MACLearning: s.MACLearning, Reflect: s.Reflect, SharedMAC: s.SharedMAC,
			Checks: lab.Checks{
				Promiscuous: string(preflight.CheckPromiscuous), MACChanges: string(preflight.CheckMACChanges),
				ForgedTransmits: string(preflight.CheckForgedTransmits), Reflect: string(preflight.CheckReversePathPromisc),
				SharedMAC: string(preflight.CheckVMACShared),
			},
		}
	}
	if len(missing) > 0 {
		var have []string
		for _, s := range segs {
			have = append(have, fmt.Sprintf("%q (portgroup %s)", s.Network, s.Portgroup))
		}
		if len(have) == 0 {
			have = []string{"none"}
		}
		return nil, errors.New("no network " + strings.Join(missing, ", no network ") +
			"; the lab needs both; the facts have " + strings.Join(have, ", "))
	}
	return m, nil
}

func segmentFor(segs []preflight.Segment, n lab.Net) (preflight.Segment, bool) {
	for _, s := range segs {
		if s.Network == n.Name {
			return s, true
		}
	}
	for _, s := range segs {
		if strings.EqualFold(s.Portgroup, n.Bridge) {
			return s, true
		}
	}
	return preflight.Segment{}, false
}
