package model

import (
	"encoding/json"
	"errors"
	"sort"
)

// What a saved snapshot keeps. `netreach snapshot -o yaml` and the live-cluster
// reader write objects reduced to the fields the analysis reads, so that a
// saved cluster holds no Secrets, environment values, commands, volumes,
// annotations or managed fields, and reading it back gives the same snapshot.

// keep describes the fields to keep of a JSON object: each key maps to what to
// keep of its value, nil keeping the whole value. Lists apply it to every item.
type keep map[string]keep

var (
	keepOwnerRef = keep{"apiVersion": nil, "kind": nil, "name": nil, "uid": nil, "controller": nil}
	keepMeta     = keep{"name": nil, "namespace": nil, "labels": nil, "ownerReferences": keepOwnerRef}
	keepPorts    = keep{"name": nil, "containerPort": nil, "protocol": nil}
	// Container images are kept only in workload templates, where network
	// plugin DaemonSets are recognised by them (enforcement detection).
	keepContainer       = keep{"name": nil, "ports": keepPorts, "restartPolicy": nil}
	keepTmplContainer   = keep{"name": nil, "image": nil, "ports": keepPorts, "restartPolicy": nil}
	keepPodSpec         = keep{"nodeName": nil, "hostNetwork": nil, "containers": keepContainer, "initContainers": keepContainer}
	keepTemplate        = keep{"metadata": keep{"labels": nil}, "spec": keep{"hostNetwork": nil, "containers": keepTmplContainer, "initContainers": keepTmplContainer}}
	keepByKind          = map[kindKey]keep{}
	stripOrder          = []kindKey{kindNamespace, kindNode, kindNetworkPolicy, kindService, kindEndpoints, kindEndpointSlice, kindWorkload, kindPod}
	stripOrderRank      = map[kindKey]int{}
	errStripNotAnObject = errors.New("not a JSON object")
)

func init() {
	with := func(fields keep) keep {
		k := keep{"apiVersion": nil, "kind": nil, "metadata": keepMeta}
		for f, v := range fields {
			k[f] = v
		}
		return k
	}
	keepByKind[kindNamespace] = with(nil)
	keepByKind[kindNode] = with(keep{"spec": keep{"podCIDR": nil, "podCIDRs": nil}, "status": keep{"addresses": keep{"type": nil, "address": nil}}})
	keepByKind[kindPod] = with(keep{"spec": keepPodSpec, "status": keep{"phase": nil, "podIP": nil, "podIPs": keep{"ip": nil}, "hostIP": nil}})
	keepByKind[kindWorkload] = with(keep{"spec": keep{"replicas": nil, "template": keepTemplate,
		"jobTemplate": keep{"spec": keep{"template": keepTemplate}}}})
	keepByKind[kindService] = with(keep{"spec": keep{"type": nil, "clusterIP": nil, "clusterIPs": nil, "selector": nil,
		"ports": keep{"name": nil, "protocol": nil, "port": nil, "targetPort": nil, "nodePort": nil}}})
	keepByKind[kindEndpoints] = with(keep{"subsets": keep{"addresses": keep{"ip": nil}, "ports": keep{"name": nil, "port": nil, "protocol": nil}}})
	keepByKind[kindEndpointSlice] = with(keep{"addressType": nil, "endpoints": keep{"addresses": nil}, "ports": keep{"name": nil, "port": nil, "protocol": nil}})
	keepByKind[kindNetworkPolicy] = with(keep{"spec": nil})
	for i, k := range stripOrder {
		stripOrderRank[k] = i
	}
}

// pick returns the parts of v that k keeps.
func pick(v any, k keep) any {
	if k == nil {
		return v
	}
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(k))
		for f, sub := range k {
			if fv, ok := x[f]; ok {
				out[f] = pick(fv, sub)
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = pick(e, k)
		}
		return out
	}
	return v
}

// SavedObject is an object reduced to the fields the analysis reads, as
// `netreach snapshot -o yaml` writes it.
type SavedObject struct {
	// Kind and Namespace/Name order the objects of a saved snapshot.
	Kind      string
	Namespace string
	Name      string
	// Object is the reduced object, ready to be written as JSON or YAML.
	Object map[string]any

	rank int
}

// StripObject reduces the JSON object data (of the given apiVersion and kind)
// to the fields the analysis reads; see StripMap.
func StripObject(data []byte, apiVersion, kind, namespace string) (obj *SavedObject, ok bool, err error) {
	if _, ok := keepByKind[classify(apiVersion, kind)]; !ok {
		return nil, false, nil
	}
	var raw map[string]any
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, true, err
	}
	if raw == nil {
		return nil, true, errStripNotAnObject
	}
	obj, ok = StripMap(raw, apiVersion, kind, namespace)
	return obj, ok, nil
}

// StripMap reduces a decoded object (of the given apiVersion and kind) to the
// fields the analysis reads, with its apiVersion and kind set and, for a
// namespaced object, its namespace (namespace when it names none). ok is false
// for kinds the analysis does not read, which are dropped.
func StripMap(raw map[string]any, apiVersion, kind, namespace string) (obj *SavedObject, ok bool) {
	key := classify(apiVersion, kind)
	k, ok := keepByKind[key]
	if !ok {
		return nil, false
	}
	out := pick(raw, k).(map[string]any)
	if apiVersion == "" {
		apiVersion = defaultAPIVersion(key, kind)
	}
	out["apiVersion"], out["kind"] = apiVersion, kind
	meta, _ := out["metadata"].(map[string]any)
	if meta == nil {
		meta = map[string]any{}
		out["metadata"] = meta
	}
	so := &SavedObject{Kind: kind, Object: out, rank: stripOrderRank[key]}
	so.Name, _ = meta["name"].(string)
	if key != kindNamespace && key != kindNode {
		ns, _ := meta["namespace"].(string)
		if ns == "" {
			ns = namespace
			meta["namespace"] = ns
		}
		so.Namespace = ns
	}
	return so, true
}

// defaultAPIVersion is the apiVersion written for an object that named none
// (an item of a typed list without its own apiVersion).
func defaultAPIVersion(key kindKey, kind string) string {
	switch key {
	case kindEndpointSlice:
		return "discovery.k8s.io/v1"
	case kindNetworkPolicy:
		return "networking.k8s.io/v1"
	case kindWorkload:
		switch kind {
		case "Job", "CronJob":
			return "batch/v1"
		case "ReplicationController":
			return "v1"
		}
		return "apps/v1"
	}
	return "v1"
}

// SortSaved orders saved objects as a snapshot file lists them: namespaces,
// nodes, policies, services, endpoints, workloads, pods; then by namespace and
// name.
func SortSaved(objs []*SavedObject) {
	sort.SliceStable(objs, func(i, j int) bool {
		a, b := objs[i], objs[j]
		if a.rank != b.rank {
			return a.rank < b.rank
		}
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		return a.Name < b.Name
	})
}

// CatalogObject returns the networks as one netreach/v1 NetworkCatalog object,
// or nil when there are none.
func CatalogObject(nets []*Network) map[string]any {
	if len(nets) == 0 {
		return nil
	}
	entries := make([]any, 0, len(nets))
	for _, n := range nets {
		cidrs := make([]any, len(n.CIDRs))
		for i, c := range n.CIDRs {
			cidrs[i] = c.String()
		}
		e := map[string]any{"name": n.Name, "type": string(n.Type), "cidrs": cidrs}
		if n.Description != "" {
			e["description"] = n.Description
		}
		entries = append(entries, e)
	}
	return map[string]any{"apiVersion": "netreach/v1", "kind": "NetworkCatalog",
		"metadata": map[string]any{"name": "saved-networks"}, "networks": entries}
}
