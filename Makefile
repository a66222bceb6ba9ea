# kube-ecs: `make help` lists the targets. Versions are pinned in hack/versions.env.
SHELL := /bin/bash
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export KUBECONFIG ?= $(HOME)/.kube/config

.DEFAULT_GOAL := help
.PHONY: help venv up lint test test-unit cluster cluster-down images push registry-immutable registry-gc deploy undeploy run sample crds docs bench bench-cluster bench-ready bench-scale chaos

help: ## list the targets
	@awk 'BEGIN{FS=":.*## "} /^[a-z-]+:.*## /{printf "  make %-13s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(BIN)/kube-ecs: pyproject.toml
	@echo "[kube-ecs] installing Python dependencies into $(VENV)"
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	@touch $@

venv: $(BIN)/kube-ecs ## Python virtualenv with kube-ecs and its test deps

up: cluster deploy sample ## kind cluster + operator + the sample app, from nothing

lint: venv ## ruff and mypy over operator/ and tests/ (config in pyproject.toml)
	$(BIN)/ruff check operator tests
	$(BIN)/mypy

# End-to-end tests use unique names, so they run side by side (E2E_WORKERS); those that disturb the
# whole cluster (marker `serial`) run after, alone.
E2E_WORKERS ?= 4
test: venv lint cluster deploy ## lint, then every test: unit, then end-to-end on the kind cluster
	$(BIN)/pytest -ra tests -m 'not e2e'
	$(BIN)/pytest -ra -n $(E2E_WORKERS) tests -m 'e2e and not serial'
	$(BIN)/pytest -ra tests -m 'e2e and serial'

test-unit: venv ## unit tests only (no cluster)
	$(BIN)/pytest -ra tests -m 'not e2e'

cluster: ## kind cluster `kube-ecs` (builds offline images when it cannot pull)
	hack/cluster-up.sh

cluster-down: ## delete the kind cluster
	hack/cluster-down.sh

push: ## tag + push a local image to the cluster's registry: make push IMAGE=kube-ecs/cats:2 [AS=localhost:5001/cats:2]
	hack/push.sh "$(IMAGE)" $(AS)

registry-immutable: ## refuse pushes that overwrite a tag: make registry-immutable REPO=cats [PORT=5002]
	hack/registry.sh immutable "$(REPO)" $(PORT)

registry-gc: ## delete the registry's untagged images (a lifecycle clean-up)
	hack/registry.sh gc

images: ## build the sample app images and load them into the cluster
	hack/app-images.sh

deploy: venv images ## operator image + CRDs + RBAC + operator Deployment on the cluster
	hack/deploy.sh

undeploy: ## remove the operator, its RBAC and CRDs
	hack/undeploy.sh

run: venv ## run the operator on the host against the current kube context
	hack/run.sh

sample: ## apply the "container of cats" sample and wait for it to be Ready
	hack/sample.sh

crds: venv ## regenerate crds/ from botocore's ECS model
	$(BIN)/kube-ecs crds --output crds

docs: venv ## regenerate docs/coverage.md (every ECS field and its rule) from the field registry
	$(BIN)/kube-ecs coverage --markdown > docs/coverage.md

bench: venv ## conversion benchmark over the task-definition corpus
	$(BIN)/python tests/bench/bench_convert.py

bench-cluster: venv ## operator figures on the cluster: apply → Ready time, operator RSS
	$(BIN)/python tests/bench/bench_operator.py

bench-ready: venv ## apply → Ready and rollout, operator vs a plain Deployment, median of 5; fails over 1.1×
	$(BIN)/python tests/bench/bench_ready.py

N ?= 200
bench-scale: venv ## N Services (0 tasks) via the operator vs their children applied directly: make bench-scale N=1000
	N=$(N) $(BIN)/python tests/bench/bench_scale.py

chaos: venv ## fault injection on the kind cluster (kills, API outage, node restart, hand edits, bad specs); ~10 min
	$(BIN)/python tests/chaos/chaos.py $(SCENARIOS)
