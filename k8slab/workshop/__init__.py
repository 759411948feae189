"""Instructor-led workshops: one lesson, many learners, one shared cluster.

- `plan`: the objects each learner gets (namespace, ServiceAccount, Role, quota, ...), pure.
- `adapt`: which steps a restricted learner does as written, rewritten, or as a demo.
- `provision`: create (idempotently), find and delete workshops.
- `kubeconfig`: per-learner kubeconfigs with TokenRequest tokens.
- `progress_store`: a learner's progress in their namespace's `k8slab-progress` ConfigMap.
- `status`, `monitor`: grading every namespace with the instructor's credentials.
- `dashboard`: the Textual dashboard (the only module here that imports textual).
"""
