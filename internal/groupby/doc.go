// Package groupby splits a list into groups of equal key, the groups in
// the order their first item comes, each keeping its items' order: the
// fleet's pairs by vCenter, a drill history's runs by pair, network and
// trigger.
package groupby
