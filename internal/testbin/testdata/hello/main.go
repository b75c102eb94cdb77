// Command hello is the small main package that testbin's own test builds.
package main

import "fmt"

func main() { fmt.Println("hello") }
