/* The spec -> Mesos mapping: what a pod/task spec makes the scheduler send (DESIGN.md "Growing
 * it"). Offer evaluation decides where a pod goes and which resources it takes; this module
 * decides what the ContainerInfo of each task and of the pod's executor, the secret
 * environment variables and the framework capabilities say. It reads the spec and nothing of
 * offer evaluation's state.
 *
 * The task description (env, labels, checks, discovery, URIs) is built here too (task.h), from
 * what offer evaluation hands over: the offer, the reserved resources, the assigned ports.
 *
 * Upstream: dcos-commons sdk/scheduler/src/main/java/com/mesosphere/sdk/offer/evaluate/
 * PodInfoBuilder.java (getContainerInfo, getNetworkInfo, getRLimitInfo, the secret, host and
 * external volume helpers) with ExternalVolumeProviderFactory, PortworxVolumeProvider and
 * GenericDockerVolumeProvider for Docker volume names, and DcosConstants for which networks
 * map ports. Field names and numbers: apache/mesos include/mesos/v1/mesos.proto.
 *
 * The ContainerInfos travel as packed mesos.v1.ContainerInfo bytes inside sdk_task_desc and
 * sdk_executor_desc, so that offer evaluation stays free of protobuf and what is stored is
 * byte for byte what is sent (core/mapping/taskinfo.c puts them in the TaskInfo).
 */
#ifndef SDK_MAPPING_H
#define SDK_MAPPING_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/spec/spec.h"

/* Packed ContainerInfo of task `t` of instance `index` of `pod` (service `spec`): type MESOS;
 * linux_info {share_cgroups false, share_pid_namespace, seccomp, the task's ipc_mode/shm_size};
 * volumes /tmp (sandbox tmp), host volumes (HOST_PATH), external volumes (DOCKER_VOLUME), file
 * secrets (SECRET, RO) and the pod volumes (SANDBOX_PATH PARENT); mesos.image for `image`;
 * rlimit_info. Every task gets one (at least /tmp and linux_info), as upstream. Returns new bytes
 * in *buf (free()) and their length. */
void sdk_mapping_task_container_new(const sdk_spec *spec, const sdk_pod_spec *pod, const sdk_task_spec *t,
                                    int64_t index, void **buf, size_t *len);

/* Packed ContainerInfo of the pod's (DEFAULT) executor: type MESOS; linux_info {share_cgroups
 * false, the pod's ipc_mode/shm_size}; network_infos (only here: with the default executor the
 * tasks join the executor's networks); rlimit_info; host, external and secret volumes; never an
 * image. New bytes in *buf (free()). */
void sdk_mapping_executor_container_new(const sdk_spec *spec, const sdk_pod_spec *pod, int64_t index, void **buf,
                                        size_t *len);

/* Environment secrets of the pod: one entry per secret with an env-key, key = the variable's
 * name, value = the secret's path (sent as Environment.Variable{type SECRET, secret{type
 * REFERENCE, reference{name}}}). New array (sdk_envfile_free), *n entries; NULL when none. */
sdk_kv *sdk_mapping_secret_env_new(const sdk_pod_spec *pod, size_t *n);

/* Does any resource set of the service ask for GPUs (FrameworkInfo capability GPU_RESOURCES,
 * dcos-commons FrameworkRunner)? */
bool sdk_mapping_uses_gpus(const sdk_spec *spec);

/* Does network `name` map container ports to host ports (dcos-commons DcosConstants.
 * networkSupportsPortMapping: only "mesos-bridge")? */
bool sdk_mapping_network_maps_ports(const char *name);

/* Does the pod use host ports (dcos-commons PortEvaluationStage.requireHostPorts): no network,
 * or a network that maps ports? Otherwise its tasks have their own IP on a virtual network:
 * their ports are not reserved on the agent, and dynamic ones are numbered from 1025 to 2025
 * per pod (DcosConstants.OVERLAY_DYNAMIC_PORT_RANGE_*). */
bool sdk_mapping_pod_uses_host_ports(const sdk_pod_spec *pod);
#define SDK_OVERLAY_DYNAMIC_PORT_FIRST 1025
#define SDK_OVERLAY_DYNAMIC_PORT_LAST 2025

/* The Docker volume name and driver options of an external volume of instance `index`
 * (upstream's provider rules): driver "pxd": "<volume-name or svc-podtype>[-<index>]" (no index
 * with option shared=true) and option nodes=LocalNode added; other drivers:
 * "<volume-name or svc_podtype>_<index>". Slashes of the service name are escaped as in the
 * service role ("/a/b" -> "a__b"). *opts: new array of the options in the
 * order written (free with sdk_envfile_free). Returns the new name. */
char *sdk_mapping_docker_volume_name_new(const char *service, const sdk_pod_spec *pod,
                                         const sdk_external_volume_spec *v, int64_t index, sdk_kv **opts,
                                         size_t *n_opts);
#endif
