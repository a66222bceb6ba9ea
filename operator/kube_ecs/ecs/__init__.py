"""The ECS side, no Kubernetes: botocore's model (model), the field rules (rules), input normalisation
(normalize), ECS's checks (validate), the CRD schemas (schema). See docs/ecs-fields.md."""
