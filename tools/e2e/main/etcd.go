// The etcd server binary: go.etcd.io/etcd/server/v3's etcdmain, as etcd's own main calls it.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
