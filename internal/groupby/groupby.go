package groupby

// Ordered returns items grouped by key, the groups in order of their
// first item.
func Ordered[T any, K comparable](items []T, key func(T) K) [][]T {
	index := map[K]int{}
	var groups [][]T
	for _, it := range items {
		k := key(it)
		g, ok := index[k]
		if !ok {
			g = len(groups)
			index[k] = g
			groups = append(groups, nil)
		}
		groups[g] = append(groups[g], it)
	}
	return groups
}
