package live

import "k8s.io/apimachinery/pkg/runtime/schema"

// Resource is one kind the reader lists.
type Resource struct {
	GVR        schema.GroupVersionResource
	Kind       string
	Namespaced bool
	// Required kinds stop the read when they cannot be listed; for the others
	// the read goes on with a warning saying what the analysis loses (Loss).
	Required bool
	Loss     string
}

// APIVersion is the resource's group/version as manifests write it.
func (r Resource) APIVersion() string { return r.GVR.GroupVersion().String() }

// Resources are the kinds a live read lists, in the order a saved snapshot
// lists them. docs/rbac.yaml grants exactly get and list on these.
var Resources = []Resource{
	{GVR: schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}, Kind: "Namespace",
		Loss: "namespace labels are unknown and namespaceSelectors match namespaces only by kubernetes.io/metadata.name"},
	{GVR: schema.GroupVersionResource{Version: "v1", Resource: "nodes"}, Kind: "Node",
		Loss: "node addresses are unknown: hostNetwork pods without a podIP get no address, ipBlocks cannot match nodes, and the net:nodes network is missing"},
	{GVR: schema.GroupVersionResource{Version: "v1", Resource: "pods"}, Kind: "Pod", Namespaced: true, Required: true},
	{GVR: schema.GroupVersionResource{Group: "networking.k8s.io", Version: "v1", Resource: "networkpolicies"}, Kind: "NetworkPolicy", Namespaced: true, Required: true},
	{GVR: schema.GroupVersionResource{Version: "v1", Resource: "services"}, Kind: "Service", Namespaced: true,
		Loss: "Service ClusterIPs are unknown, so such addresses are not recognised and refused as endpoints"},
	{GVR: schema.GroupVersionResource{Group: "discovery.k8s.io", Version: "v1", Resource: "endpointslices"}, Kind: "EndpointSlice", Namespaced: true,
		Loss: "the API server endpoints behind default/kubernetes may be unknown, so the net:control-plane network may be missing"},
	{GVR: schema.GroupVersionResource{Version: "v1", Resource: "endpoints"}, Kind: "Endpoints", Namespaced: true,
		Loss: "the API server endpoints behind default/kubernetes may be unknown, so the net:control-plane network may be missing"},
	{GVR: schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}, Kind: "Deployment", Namespaced: true, Loss: workloadLoss},
	{GVR: schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "statefulsets"}, Kind: "StatefulSet", Namespaced: true, Loss: workloadLoss},
	{GVR: schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "daemonsets"}, Kind: "DaemonSet", Namespaced: true,
		Loss: workloadLoss + "; " + pluginLoss},
	{GVR: schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "replicasets"}, Kind: "ReplicaSet", Namespaced: true, Loss: workloadLoss},
	{GVR: schema.GroupVersionResource{Version: "v1", Resource: "replicationcontrollers"}, Kind: "ReplicationController", Namespaced: true, Loss: workloadLoss},
	{GVR: schema.GroupVersionResource{Group: "batch", Version: "v1", Resource: "jobs"}, Kind: "Job", Namespaced: true, Loss: workloadLoss},
	{GVR: schema.GroupVersionResource{Group: "batch", Version: "v1", Resource: "cronjobs"}, Kind: "CronJob", Namespaced: true, Loss: workloadLoss},
}

// pluginLoss is what a read without kube-system's DaemonSets loses.
const pluginLoss = "the network plugin cannot be detected from its DaemonSet, so --enforcement=auto assumes policies are enforced"

// pluginNamespace is where network plugins run their DaemonSets; a read of
// another namespace (-n) lists its DaemonSets too, for plugin detection only.
const pluginNamespace = "kube-system"

const workloadLoss = "workloads without running pods get no template pod and their traffic once scaled up is not analysed"
