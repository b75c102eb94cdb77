// Command fuzztargets lists the module's fuzz targets as "./pkg:FuzzName",
// one per line, so that `make fuzz-short` runs each of them briefly.
package main
