"""Names that components, the cost model and the policy pack must agree on: node labels, taints, resources.

Kept free of imports so the catalog and the policy pack can read them without loading any provider SDK.
"""

GPU_RESOURCE = "nvidia.com/gpu"  # the extended resource pods request GPUs by
GPU_TAINT_KEY = "nvidia.com/gpu"  # every GPU node carries it (NoSchedule)
POOL_LABEL = "mlplatform.io/gpu-pool"  # the GPU pool a node (or NodePool, node group) belongs to
GPU_MODEL_LABEL = "mlplatform.io/gpu"  # the GPU model on a node (T4, L4, ...)
NODE_ROLE_LABEL = "mlplatform.io/node-role"
SYSTEM_ROLE = "system"
# Marks the on-demand pool that backs a spot pool: costing splits the pool's hours between the pair, and the
# spot policy accepts it where on-demand fallback is allowed.
FALLBACK_FOR_LABEL = "mlplatform.io/fallback-for"
# Labels the placeholder Deployment that keeps a Karpenter pool's min_nodes up (its idle cost).
WARM_FOR_LABEL = "mlplatform.io/warm-for"
CAPACITY_TYPE_LABEL = "karpenter.sh/capacity-type"  # Karpenter's node label and requirement key: spot or on-demand
