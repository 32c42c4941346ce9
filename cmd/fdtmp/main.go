package main

import (
	"fmt"
	"os"
	"strconv"

	"github.com/segscope/segscope/filter"
)

func main() {
	l, _ := strconv.Atoi(os.Args[1])
	p, err := filter.Compile(os.Args[2], filter.LinkType(l), 0)
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	fmt.Print(p)
}
