"""The check kinds a lesson may use, with their parameters.

Pure data: the lesson loader validates checks against this without importing the grader.
Each check is evaluated by `k8slab.grading.checks` over a ClusterState and its History, and
yields passed/failed, a one-line detail and a hint.
"""

from __future__ import annotations

from k8slab.params import Param, Spec

_DS = Param("daemonset", "str", True, help="DaemonSet name")
_STS = Param("statefulset", "str", True, help="StatefulSet name")
_JOB = Param("job", "str", True, help="Job name")
_CJ = Param("cronjob", "str", True, help="CronJob name")
_NS = Param("namespace", "str", help="namespace; default the lab namespace")

CHECKS: dict[str, Spec] = {s.kind: s for s in [
    # -- generic ----------------------------------------------------------------------------
    Spec("exists", (Param("kind", "str", True), Param("name", "str", True), _NS),
         "The object exists."),
    Spec("field-equals", (Param("kind", "str", True), Param("name", "str", True),
                          Param("path", "str", True, help="dotted path, e.g. spec.replicas"),
                          Param("value", "any", True), _NS),
         "A field of an object has a value."),
    # -- DaemonSet --------------------------------------------------------------------------
    Spec("daemonset-covers", (_DS, _NS),
         "Every eligible node runs exactly one Ready pod of the DaemonSet, and no ineligible "
         "node runs one."),
    Spec("daemonset-excludes", (_DS, Param("reason", "str", True,
                                           choices=("taint", "nodeSelector", "resources",
                                                    "affinity")), _NS),
         "At least one node is skipped for this reason, and it runs no pod of the DaemonSet."),
    Spec("daemonset-follows-labels", (_DS, Param("label", "str", True, help="key=value"), _NS),
         "A pod appeared on a node after it got the label, and went away after the label was "
         "removed."),
    Spec("daemonset-hostpath", (_DS, _NS),
         "The DaemonSet mounts a hostPath volume and all its pods are Ready."),
    Spec("daemonset-rolled-out", (_DS, Param("image", "str", help="expected new image"), _NS),
         "An image update was made and every pod now runs the new template."),
    Spec("daemonset-pod-replaced", (_DS, _NS),
         "A pod of the DaemonSet was deleted and the controller replaced it on the same node."),
    # -- StatefulSet ------------------------------------------------------------------------
    Spec("statefulset-ready", (_STS, Param("replicas", "int"), _NS),
         "All replicas (or this many) are Ready."),
    Spec("headless-service", (_STS, _NS),
         "The StatefulSet's serviceName is a headless Service that selects its pods."),
    Spec("ordered-creation", (_STS, _NS),
         "Pods were created in ordinal order, each after its predecessor was Ready "
         "(OrderedReady)."),
    Spec("stable-identity", (_STS, _NS),
         "A pod was deleted and came back with the same name (a new UID) and the same claims."),
    Spec("pvc-per-replica", (_STS, _NS),
         "Each replica has its own Bound claim named <template>-<set>-<ordinal>."),
    Spec("data-persists", (_STS, Param("path", "str", help="file the data was written to"),
                           _NS),
         "Data written through exec before a pod was deleted was read back from its successor."),
    Spec("dns-resolves", (_STS, _NS),
         "Every Ready pod's name <pod>.<service>.<ns>.svc.cluster.local resolves."),
    Spec("ordered-scaling", (_STS, _NS),
         "A scale-up added ordinals in order and a scale-down removed them highest first."),
    Spec("claims-retained", (_STS, _NS),
         "After a scale-down the claims of the removed ordinals still exist."),
    Spec("partitioned-update", (_STS, Param("partition", "int", True), _NS),
         "While the partition was set, only ordinals at or above it got the new revision."),
    Spec("statefulset-rolled-out", (_STS, _NS),
         "Every replica runs the StatefulSet's latest revision."),
    Spec("stateful-app-ready", (Param("apps", "list", default=["mysql", "postgres", "redis"],
                                      help="image names that count"), _NS),
         "A StatefulSet running one of these images is Ready, with every claim Bound."),
    # -- Job --------------------------------------------------------------------------------
    Spec("job-complete", (_JOB, _NS), "The Job has the Complete condition."),
    Spec("job-parallelism", (_JOB, _NS),
         "The Job never had more active pods than its parallelism, did run that many at once, "
         "and reached its completions."),
    Spec("job-retries", (_JOB, _NS),
         "At least one pod failed and was retried, and retries stayed within backoffLimit."),
    Spec("job-failed", (_JOB, Param("reason", "str", True,
                                    choices=("BackoffLimitExceeded", "DeadlineExceeded")), _NS),
         "The Job ended Failed with this reason."),
    Spec("job-ttl-cleanup", (_JOB, _NS),
         "The Job finished and was deleted by its ttlSecondsAfterFinished."),
    # -- CronJob ----------------------------------------------------------------------------
    Spec("cronjob-schedules", (_CJ, Param("min-jobs", "int", default=1), _NS),
         "The CronJob created at least this many Jobs, at times its schedule allows."),
    Spec("cronjob-concurrency", (_CJ, Param("policy", "str", True,
                                            choices=("Allow", "Forbid", "Replace")), _NS),
         "The CronJob uses this concurrencyPolicy and its Jobs behaved accordingly."),
    Spec("cronjob-history-limits", (_CJ, _NS),
         "Finished Jobs beyond successfulJobsHistoryLimit / failedJobsHistoryLimit were pruned."),
    Spec("cronjob-suspend-resume", (_CJ, _NS),
         "The CronJob was suspended (no runs while suspended) and then resumed."),
    Spec("cronjob-manual-trigger", (_CJ, _NS),
         "A Job was created from the CronJob by hand (kubectl create job --from=cronjob/...)."),
]}
