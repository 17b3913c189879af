# ctyun.cce_migration — developer entry points. `make demo` and `make test` are the two
# commands a new user needs; every other target is a step of those.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
COLLECTIONS := $(CURDIR)/.collections
BUILD := $(CURDIR)/.build
LAB_DIR ?= $(CURDIR)/.lab
VERSION := $(shell sed -n 's/^version: *//p' galaxy.yml)
TARBALL := $(BUILD)/ctyun-cce_migration-$(VERSION).tar.gz
SANITY_ROOT := $(BUILD)/sanity/ansible_collections/ctyun/cce_migration
PYTEST_ARGS ?=
SANITY_ARGS ?=
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export PATH := $(CURDIR)/$(BIN):$(PATH)

# `make test` stays inside the project: ansible keeps its galaxy cache and temporary files in
# ANSIBLE_HOME, and ansible-lint and ansible-test, which also keep caches and collection copies
# under $HOME (~/.ansible, ~/.cache), run with HOME in .build/home. The user's ~/.ansible is neither
# read nor changed, and the only copy of this collection the tools see is the one `make install`
# built from the tree (ANSIBLE_COLLECTIONS_PATH above).
TOOL_HOME := $(BUILD)/home
export ANSIBLE_HOME := $(TOOL_HOME)/.ansible
# the playbooks' modules too: remote_tmp defaults to ~/.ansible/tmp, and ansible reads ~ from the
# user database, not $HOME (a local connection copied every module into the user's ~/.ansible/tmp)
export ANSIBLE_REMOTE_TMP := $(ANSIBLE_HOME)/tmp
TOOL_ENV := HOME=$(TOOL_HOME) XDG_CACHE_HOME=$(TOOL_HOME)/.cache

# Run pytest; "no tests collected" (exit 5) is a failure, not a success.
define pytest
	@set +e; $(BIN)/pytest $(1) $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests in $(1): failing"; exit 1; fi; exit $$rc
endef

.PHONY: help venv venv-refresh install build lint ruff ansible-lint sanity units lab-tests integration test demo \
        bench reliability reliability-ci molecule oldest-client real-build lab-up lab-down lab-status docs-check changelog clean system-deps

help:
	@echo "make demo   - create the venv, install the collection, start the lab, run the whole migration"
	@echo "make test   - everything CI runs (ruff, ansible-lint, sanity, unit, lab, integration, build)"
	@echo "other: venv venv-refresh install build lint sanity units oldest-client lab-tests integration bench reliability reliability-ci molecule real-build lab-up lab-down lab-status clean"
	@echo "LAB_KUBE=real make lab-up (or demo): the lab on real Kubernetes and Karmada; make real-build first"

# The venv is made once. A requirement file changed later (a pull, a rebase) is checked on every
# use instead of rebuilding the venv behind the user's back: tools/check_venv.py names what is
# missing, and `make venv-refresh` installs it.
$(VENV)/.stamp:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

venv: $(VENV)/.stamp
	@$(PY) tools/check_venv.py requirements-dev.txt requirements.txt

venv-refresh:
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $(VENV)/.stamp

# Debian packages some integration tests need (real registry, skopeo); installed when missing.
system-deps:
	@bash tests/integration/setup_system_deps.sh

build: venv
	@mkdir -p $(BUILD)
	$(BIN)/ansible-galaxy collection build --force --output-path $(BUILD) .
	@if tar -tzf $(TARBALL) | grep -E '(^|/)(tests/lab|\.venv|\.lab|\.build|\.collections)/' ; then \
		echo "build: tarball contains lab/venv files" ; exit 1 ; fi

install: build
	$(BIN)/ansible-galaxy collection install --force -p $(COLLECTIONS) $(TARBALL) >/dev/null
	@echo "installed ctyun.cce_migration $(VERSION) into $(COLLECTIONS)"

ruff: venv
	$(BIN)/ruff check .

ansible-lint: install
	@mkdir -p $(TOOL_HOME)
	$(TOOL_ENV) $(BIN)/ansible-lint --offline --profile production

lint: ruff ansible-lint

# ansible-test needs the collection laid out as ansible_collections/<ns>/<name>, and a pip
# bootstrap script that works without reaching hosts other than the package index.
sanity: venv
	@pipver=$$($(PY) -c "from ansible_test._internal.python_requirements import get_venv_packages; \
		from ansible_test._internal.host_configs import NativePythonConfig as C; \
		print(get_venv_packages(C(version='3.11', path='$(PY)'))['pip'])" 2>/dev/null || echo 24.2); \
	 mkdir -p $(TOOL_HOME)/.ansible/test/cache; \
	 cp tests/sanity/get_pip_offline.py $(TOOL_HOME)/.ansible/test/cache/get_pip_$${pipver//./_}.py
	@rm -rf $(BUILD)/sanity && mkdir -p $(SANITY_ROOT)
	@git ls-files -co --exclude-standard | grep -v -E '^(tests/(lab|unit|integration|bench|reliability|utils|demo)/|tests/[^/]*\.py$$|\.ci/)' | \
		while read -r f; do [ -e "$$f" ] && echo "$$f"; done | \
		tar -cf - -T - | tar -xf - -C $(SANITY_ROOT)
	@# The collection is Apache-2.0: validate-modules' GPLv3 header check does not apply (docs/decisions.md).
	@ver=$$($(PY) -c "import ansible.release as r; print('.'.join(r.__version__.split('.')[:2]))"); \
	 for m in plugins/modules/*.py; do echo "$$m validate-modules:missing-gplv3-license"; done \
	   > $(SANITY_ROOT)/tests/sanity/ignore-$$ver.txt
	cd $(SANITY_ROOT) && git init -q && git add -A >/dev/null && \
		$(TOOL_ENV) $(CURDIR)/$(BIN)/ansible-test sanity --python 3.11 --color no $(SANITY_ARGS)

units: venv
	$(call pytest,tests/unit -q)

# The oldest kubernetes client the collection supports (the floor in requirements.txt): the
# Kubernetes-facing module tests run against it too, from an overlay installed under .build/
# (the client and its own dependencies, urllib3 1.26 among them); the venv has the newest.
K8S_OLDEST := $(shell sed -n 's/^kubernetes>=//p' requirements.txt)
OLDEST_DIR := $(BUILD)/k8s-oldest-$(K8S_OLDEST)
OLDEST_TESTS ?= tests/unit/test_k8s_rest.py tests/unit/test_retry_policy.py tests/unit/test_assess.py \
	tests/integration/test_promote.py tests/integration/test_replica_shift.py tests/integration/test_assess.py \
	tests/integration/test_cceone.py

$(OLDEST_DIR)/.stamp: requirements.txt
	rm -rf $(OLDEST_DIR)
	$(BIN)/pip install -q --disable-pip-version-check --target $(OLDEST_DIR) "kubernetes==$(K8S_OLDEST)"
	touch $@

oldest-client: venv $(OLDEST_DIR)/.stamp
	PYTHONPATH=$(OLDEST_DIR) EXPECT_KUBERNETES=$(K8S_OLDEST) $(BIN)/pytest -q $(OLDEST_TESTS) $(PYTEST_ARGS)

lab-tests: venv
	$(call pytest,tests/lab/tests -q)

# make test installs the registry tools (system-deps), so there their absence fails the image tests
# instead of skipping them; a bare `make integration` on a machine without them skips.
integration: venv
	$(call pytest,tests/integration -q)

# make test runs every test that uses the lab fixture, and the end-to-end migration, on the
# simulation and on real Kubernetes and Karmada (LAB_BACKENDS=sim,real; real-build first: a cold
# build on a new machine, seconds from the cache after that).
test: export REQUIRE_REGISTRY_TOOLS := 1
test: export LAB_BACKENDS := sim,real
test: system-deps real-build ruff build sanity units oldest-client lab-tests integration reliability-ci molecule ansible-lint

# Real kube-apiserver, controller-manager, scheduler, etcd, kwok and Karmada, built from their Go
# modules into a cache outside the tree (tests/lab/real/build.sh says where); seconds when cached.
real-build:
	@bash tests/lab/real/build.sh >/dev/null

lab-up: venv
	$(PY) tests/lab/labctl.py up --dir $(LAB_DIR)

lab-down: venv
	$(PY) tests/lab/labctl.py down --dir $(LAB_DIR)

lab-status: venv
	$(PY) tests/lab/labctl.py status --dir $(LAB_DIR)

demo: install
	@bash tests/demo/run_demo.sh

bench: install
	$(PY) tests/bench/run_all.py

MOLECULE_ROLES ?= assess data_migration target_cluster federation promote cutover
molecule: venv
	@for role in $(MOLECULE_ROLES); do \
	  echo "== molecule: role $$role"; \
	  (cd roles/$$role && MOLECULE_PROJECT_ROOT=$(CURDIR) MOLECULE_LAB_DIR=$(BUILD)/molecule-lab-$$role \
	    $(CURDIR)/$(BIN)/molecule test) || exit 1; \
	done

reliability: install
	$(call pytest,tests/reliability -q)

# The reliability suite at CI size: one fault seed, three kills (make reliability runs 3 seeds, 20 kills).
reliability-ci: venv
	RELIABILITY_SEEDS=1 RELIABILITY_KILLS=3 $(BIN)/pytest tests/reliability -q $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests in tests/reliability: failing"; exit 1; fi; exit $$rc

changelog: venv
	$(BIN)/antsibull-changelog lint

clean:
	-$(PY) tests/lab/labctl.py down --dir $(LAB_DIR) 2>/dev/null
	rm -rf $(BUILD) $(COLLECTIONS) .pytest_cache .ruff_cache tests/output
