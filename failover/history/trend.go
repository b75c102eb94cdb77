package history

import (
	"slices"
	"time"

	"github.com/carpvm/carpvm/failover"
	"github.com/carpvm/carpvm/internal/groupby"
)

// Trend summarises the runs of one pair, network and trigger.
type Trend struct {
	Pair    string    `json:"pair"`
	Network string    `json:"network"`
	Trigger string    `json:"trigger"`
	Runs    int       `json:"runs"`
	Passed  int       `json:"passed"`
	Last    time.Time `json:"last"`
	// LastPass is the last run's result.
	LastPass bool `json:"last_pass"`
	// Median and worst over every run that measured a new master.
	TakeoverMedianS float64 `json:"takeover_median_s"`
	TakeoverWorstS  float64 `json:"takeover_worst_s"`
	BlackoutMedianS float64 `json:"blackout_median_s"`
	BlackoutWorstS  float64 `json:"blackout_worst_s"`
	// Direction compares the last run's blackout with the median of the
	// runs before it: "better", "worse" (more than 20% apart), "steady",
	// or "" with fewer than two runs.
	Direction string `json:"direction"`
}

// Trends groups a history by pair, network and trigger, in order of first
// appearance.
func Trends(reps []failover.Report) []Trend {
	type key struct{ pair, network, trigger string }
	groups := groupby.Ordered(reps, func(r failover.Report) key { return key{r.Pair, r.Network, r.Trigger} })
	out := make([]Trend, 0, len(groups))
	for _, g := range groups {
		last := g[len(g)-1]
		t := Trend{Pair: last.Pair, Network: last.Network, Trigger: last.Trigger, Runs: len(g), Last: last.Started, LastPass: last.Pass}
		var take, black []float64
		for _, r := range g {
			if r.Pass {
				t.Passed++
			}
			if r.NewMaster != "" {
				take = append(take, r.TakeoverS)
				black = append(black, r.BlackoutS)
			}
		}
		t.TakeoverMedianS, t.TakeoverWorstS = Median(take), worst(take)
		t.BlackoutMedianS, t.BlackoutWorstS = Median(black), worst(black)
		if len(black) >= 2 {
			t.Direction = direction(Median(black[:len(black)-1]), black[len(black)-1])
		}
		out = append(out, t)
	}
	return out
}

func direction(before, last float64) string {
	switch {
	case last > before*1.2:
		return "worse"
	case last < before*0.8:
		return "better"
	}
	return "steady"
}

// Median returns the median of v (0 for none), without changing v.
func Median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func worst(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	return slices.Max(v)
}

// PairRuns returns the runs of reps that drilled pair, in their order.
func PairRuns(reps []failover.Report, pair string) []failover.Report {
	var out []failover.Report
	for _, r := range reps {
		if r.Pair == pair {
			out = append(out, r)
		}
	}
	return out
}

// Pairs returns the pairs reps drilled, sorted, each once.
func Pairs(reps []failover.Report) []string {
	var out []string
	for _, r := range reps {
		if !slices.Contains(out, r.Pair) {
			out = append(out, r.Pair)
		}
	}
	slices.Sort(out)
	return out
}
