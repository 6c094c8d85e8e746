package livetest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// RestConfig is a client configuration for the server with a token.
func (s *Server) RestConfig(tk Token) *rest.Config {
	return &rest.Config{Host: s.URL, BearerToken: tk.Token, TLSClientConfig: rest.TLSClientConfig{CAData: s.CAData},
		Timeout: 30 * time.Second, QPS: 100, Burst: 200, WarningHandler: rest.NoWarnings{}}
}

// WriteKubeconfig writes a kubeconfig with one context per token, named by
// contexts (context name → token), and returns its path.
func (s *Server) WriteKubeconfig(contexts map[string]Token) string {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["e2e"] = &clientcmdapi.Cluster{Server: s.URL, CertificateAuthorityData: s.CAData}
	names := make([]string, 0, len(contexts))
	for name, tk := range contexts {
		cfg.AuthInfos[name] = &clientcmdapi.AuthInfo{Token: tk.Token}
		cfg.Contexts[name] = &clientcmdapi.Context{Cluster: "e2e", AuthInfo: name}
		names = append(names, name)
	}
	sort.Strings(names)
	if len(names) > 0 {
		cfg.CurrentContext = names[0]
	}
	path := filepath.Join(s.Dir, "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		s.t.Fatal(err)
	}
	return path
}

// applier creates objects as the admin.
type applier struct {
	t      *testing.T
	client dynamic.Interface
	mapper meta.RESTMapper
}

func (s *Server) applier() *applier {
	cfg := s.RestConfig(AdminToken)
	client, err := dynamic.NewForConfig(cfg)
	if err != nil {
		s.t.Fatal(err)
	}
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		s.t.Fatal(err)
	}
	return &applier{t: s.t, client: client, mapper: restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc))}
}

// Create creates objects (or updates them when they exist) as the admin.
func (s *Server) Create(objs ...*unstructured.Unstructured) {
	a := s.applier()
	for _, o := range objs {
		a.apply(o)
	}
}

// Apply reads the manifests of the files and directories (*.yaml, *.yml,
// *.json; multi-document; Lists) and creates their objects as `kubectl
// apply` would, namespaces and nodes first. Each Pod's and Node's status
// (phase, IPs, addresses) is then set through the status subresource, as a
// kubelet would. Objects of kinds the server does not serve (netreach's own
// NetworkCatalog) are left out and returned.
func (s *Server) Apply(paths ...string) (skipped []string) {
	t := s.t
	var objs []*unstructured.Unstructured
	for _, p := range paths {
		objs = append(objs, readManifests(t, p)...)
	}
	rank := map[string]int{"Namespace": 0, "Node": 1}
	sort.SliceStable(objs, func(i, j int) bool {
		ri, ok := rank[objs[i].GetKind()]
		if !ok {
			ri = 2
		}
		rj, ok := rank[objs[j].GetKind()]
		if !ok {
			rj = 2
		}
		return ri < rj
	})
	a := s.applier()
	start := time.Now()
	n := 0
	for _, o := range objs {
		if _, err := a.mapper.RESTMapping(o.GroupVersionKind().GroupKind(), o.GroupVersionKind().Version); err != nil {
			skipped = append(skipped, strings.TrimSpace(o.GetAPIVersion()+"/"+o.GetKind()+" "+o.GetName()))
			continue
		}
		a.apply(o)
		n++
	}
	t.Logf("live e2e: applied %d objects in %s (not served, left out: %v)", n, time.Since(start).Round(time.Millisecond), skipped)
	return skipped
}

// apply creates one object, or updates it when it exists, then sets its status.
func (a *applier) apply(o *unstructured.Unstructured) {
	t := a.t
	gvk := o.GroupVersionKind()
	m, err := a.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		t.Fatalf("live e2e: %s %s: %v", gvk.Kind, o.GetName(), err)
	}
	ri := a.resource(m.Resource, m.Scope.Name() == meta.RESTScopeNameNamespace, o.GetNamespace())
	status, hasStatus := o.Object["status"]
	o = o.DeepCopy()
	clean(o)
	ctx := context.Background()
	// Objects the API server makes itself (namespaces default and kube-system,
	// Service default/kubernetes) take the manifest's content. (Creating the
	// Service again would fail on its ClusterIP before its name.)
	created, err := ri.Get(ctx, o.GetName(), metav1.GetOptions{})
	switch {
	case err == nil:
		o.SetResourceVersion(created.GetResourceVersion())
		created, err = ri.Update(ctx, o, metav1.UpdateOptions{})
	case apierrors.IsNotFound(err):
		created, err = ri.Create(ctx, o, metav1.CreateOptions{})
	}
	if err != nil {
		t.Fatalf("live e2e: cannot create %s %s/%s: %v", gvk.Kind, o.GetNamespace(), o.GetName(), err)
	}
	if !hasStatus || (gvk.Kind != "Pod" && gvk.Kind != "Node") {
		return
	}
	created.Object["status"] = kubeletStatus(gvk.Kind, status)
	if _, err := ri.UpdateStatus(ctx, created, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("live e2e: cannot set the status of %s %s/%s: %v", gvk.Kind, o.GetNamespace(), o.GetName(), err)
	}
}

func (a *applier) resource(gvr schema.GroupVersionResource, namespaced bool, ns string) dynamic.ResourceInterface {
	if namespaced {
		if ns == "" {
			ns = "default"
		}
		return a.client.Resource(gvr).Namespace(ns)
	}
	return a.client.Resource(gvr)
}

// kubeletStatus keeps the status fields a kubelet reports and the analysis
// reads: a pod's phase and addresses, a node's addresses.
func kubeletStatus(kind string, status any) map[string]any {
	in, _ := status.(map[string]any)
	keep := []string{"phase", "podIP", "podIPs", "hostIP", "hostIPs"}
	if kind == "Node" {
		keep = []string{"addresses"}
	}
	out := map[string]any{}
	for _, k := range keep {
		if v, ok := in[k]; ok {
			out[k] = v
		}
	}
	return out
}

// clean drops what the API server sets itself and would refuse on create.
func clean(o *unstructured.Unstructured) {
	for _, f := range []string{"uid", "resourceVersion", "creationTimestamp", "generation", "managedFields", "selfLink"} {
		unstructured.RemoveNestedField(o.Object, "metadata", f)
	}
	delete(o.Object, "status")
	// A Job's selector is generated from its uid unless the manifest chooses
	// it; keep the manifest's, as `kubectl replace` users do.
	if o.GetKind() == "Job" {
		if _, found, _ := unstructured.NestedMap(o.Object, "spec", "selector"); found {
			_ = unstructured.SetNestedField(o.Object, true, "spec", "manualSelector")
		}
	}
}

// readManifests decodes every object of a file or directory, expanding Lists.
func readManifests(t *testing.T, path string) []*unstructured.Unstructured {
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	if info.IsDir() {
		entries, err := os.ReadDir(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if ext := filepath.Ext(e.Name()); !e.IsDir() && (ext == ".yaml" || ext == ".yml" || ext == ".json") {
				files = append(files, filepath.Join(path, e.Name()))
			}
		}
	} else {
		files = []string{path}
	}
	var out []*unstructured.Unstructured
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
		for {
			var obj map[string]any
			if err := dec.Decode(&obj); err != nil {
				if errors.Is(err, io.EOF) {
					break
				}
				t.Fatalf("%s: %v", f, err)
			}
			if obj == nil {
				continue
			}
			u := &unstructured.Unstructured{Object: obj}
			if strings.HasSuffix(u.GetKind(), "List") {
				items, _, _ := unstructured.NestedSlice(obj, "items")
				for _, it := range items {
					if m, ok := it.(map[string]any); ok {
						out = append(out, &unstructured.Unstructured{Object: m})
					}
				}
				continue
			}
			out = append(out, u)
		}
	}
	return out
}
