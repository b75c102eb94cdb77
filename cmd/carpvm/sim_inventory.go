package main

import (
	"github.com/spf13/cobra"

	"github.com/carpvm/carpvm/workflow"
)

// addInventoryFlags registers --inventory-hosts and --inventory-vms, which
// grow a simulated topology to a large vCenter's size (workflow.Inventory).
func addInventoryFlags(cmd *cobra.Command, g *workflow.Inventory, scope string) {
	cmd.Flags().IntVar(&g.Hosts, "inventory-hosts", 0, scope+"add this many ESXi hosts (clusters of at most 64, one distributed switch spanning them; at most 2500)")
	cmd.Flags().IntVar(&g.VMs, "inventory-vms", 0, scope+"add this many powered-on VMs spread over the added hosts, some on the routers' portgroups (at most 40000)")
}

// inventoryChanged says whether either inventory flag was given.
func inventoryChanged(cmd *cobra.Command) bool {
	return cmd.Flags().Changed("inventory-hosts") || cmd.Flags().Changed("inventory-vms")
}

// checkInventory refuses growth that sim.Inventory.Check refuses.
func checkInventory(g workflow.Inventory) error {
	if err := g.Check(); err != nil {
		return usageError("%v", err)
	}
	return nil
}
