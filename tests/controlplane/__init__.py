"""A real control plane (etcd, kube-apiserver, controller-manager, scheduler, KWOK) for tests."""
