// pulumi-resource-kubernetes for the e2e run: the provider package of pulumi-kubernetes
// (github.com/pulumi/pulumi-kubernetes/provider/v4) served with the schema committed in that
// module. Upstream's own main embeds files its build generates (schema-embed.json); this main
// embeds the committed schema.json and terraform-mapping.json, copied next to it at build time,
// and stamps the schema with the provider version, as upstream's generator does.
package main

import (
	_ "embed"
	"encoding/json"
	"log"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
)

//go:embed schema.json
var schema []byte

//go:embed terraform-mapping.json
var terraformMapping []byte

func main() {
	var spec map[string]any
	if err := json.Unmarshal(schema, &spec); err != nil {
		log.Fatalf("cannot read the embedded schema: %v", err)
	}
	spec["version"] = version.Version
	versioned, err := json.Marshal(spec)
	if err != nil {
		log.Fatalf("cannot write the schema: %v", err)
	}
	provider.Serve("kubernetes", version.Version, versioned, terraformMapping)
}
