"""Certificates, keys and kubeconfigs of the control plane, made with the openssl command."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path

from tests.controlplane.binaries import ControlPlaneError

# Names the API server answers to: loopback, and the `kubernetes` Service's first IP and names.
SERVING_NAMES = (
    "IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,"
    "DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
)


def write_pki(pki: Path) -> None:
    """Write into `pki`: ca.crt/key, apiserver.crt/key (serving), sa.key/pub (token signing)."""
    if not shutil.which("openssl"):
        raise ControlPlaneError(
            "the openssl command is needed to make the control plane's certificates"
        )

    def openssl(*args: str) -> None:
        proc = subprocess.run(["openssl", *args], cwd=pki, capture_output=True, text=True)
        if proc.returncode != 0:
            raise ControlPlaneError(f"openssl {' '.join(args)} failed:\n{proc.stderr}")

    ec = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    openssl(
        "req",
        "-x509",
        *ec,
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-days",
        "3650",
        "-subj",
        "/CN=k8slab-test-ca",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign,digitalSignature",
    )
    openssl(
        "req",
        "-new",
        *ec,
        "-keyout",
        "apiserver.key",
        "-out",
        "apiserver.csr",
        "-subj",
        "/CN=kube-apiserver",
    )
    (pki / "apiserver.ext").write_text(
        "basicConstraints=CA:FALSE\n"
        "keyUsage=critical,digitalSignature,keyEncipherment\n"
        "extendedKeyUsage=serverAuth\n"
        f"subjectAltName={SERVING_NAMES}\n"
    )
    openssl(
        "x509",
        "-req",
        "-in",
        "apiserver.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "3650",
        "-out",
        "apiserver.crt",
        "-extfile",
        "apiserver.ext",
    )
    openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "sa.key")
    openssl("pkey", "-in", "sa.key", "-pubout", "-out", "sa.pub")
    for key in pki.glob("*.key"):
        key.chmod(0o600)


def kubeconfig_text(
    server: str, ca_pem: bytes, user: str, token: str, namespace: str | None = None
) -> str:
    """A kubeconfig with one cluster, one token user and one context, all named k8slab."""
    ca = base64.b64encode(ca_pem).decode()
    ns = f"\n    namespace: {json.dumps(namespace)}" if namespace else ""
    # JSON strings are valid YAML scalars, and quote whatever a user name contains.
    return f"""apiVersion: v1
kind: Config
clusters:
- name: k8slab
  cluster:
    server: {server}
    certificate-authority-data: {ca}
users:
- name: {json.dumps(user)}
  user:
    token: {json.dumps(token)}
contexts:
- name: k8slab
  context:
    cluster: k8slab
    user: {json.dumps(user)}{ns}
current-context: k8slab
"""
