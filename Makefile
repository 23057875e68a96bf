# linuxnet.macvlan — one command to test everything: `make test` (as root, Debian 12).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
VENV := .venv
PY := $(VENV)/bin/python
STAGE := build/collections/ansible_collections/linuxnet/macvlan
# Integration tests run the modules from a symlinked import root (build/pyroot), so
# edits are picked up without re-staging; ansible-test/lint/molecule use the real copy.
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/build/collections
export ANSIBLE_LOCAL_TEMP := $(CURDIR)/build/tmp
export ANSIBLE_FORCE_COLOR := 0
PYTEST_WORKERS ?= 2
# pytest-ansible (requirements-dev.txt) is a pytest plugin that, started from a directory holding
# galaxy.yml, builds a collections/ tree of symlinks there and points ANSIBLE_COLLECTIONS_PATH
# at it. Only tests/pytest_ansible uses it; the other suites run without it.
PYTEST := $(PY) -m pytest -p no:cacheprovider -p no:pytest-ansible

.PHONY: test deps engines venv stage lint sanity units integration molecule build galaxy-import ee docs-lint changelog pytest-ansible demo demo-clean bench clean

test: deps engines venv stage build galaxy-import ee docs-lint changelog lint sanity units integration pytest-ansible molecule
	@echo "make test: all checks passed"

deps:
	@tests/tools/apt_deps.sh

# Docker and Podman from Debian's packages, unpacked under build/engines (never installed, never started
# outside a lab namespace); cached, so only the first run downloads them.
engines:
	@tests/tools/engines.sh >/dev/null

venv: $(VENV)/.installed

$(VENV)/.installed: requirements-dev.txt
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

stage:
	@tests/tools/stage.sh >/dev/null
	@mkdir -p build/pyroot/ansible_collections/linuxnet build/tmp
	@ln -sfn $(CURDIR) build/pyroot/ansible_collections/linuxnet/macvlan

build: stage
	cd $(STAGE) && $(CURDIR)/$(VENV)/bin/ansible-galaxy collection build --force --output-path $(CURDIR)/build
	$(VENV)/bin/ansible-doc -l linuxnet.macvlan

# Galaxy's own importer on the built tarball, offline (its ansible-lint on, its ansible-test off:
# sanity runs below); any warning or error fails. Config: tests/tools/galaxy-importer.cfg.
galaxy-import: venv build
	tests/tools/galaxy_import.sh

# The execution environment's build context (ansible-builder create, offline; building the image
# needs the base image from a registry and is not part of the tests): build/ee-context.
ee: venv build
	tests/tools/ee_context.sh

# antsibull-docs' linter on the staged copy: the docs of every module and plugin and the role's
# argument specs (schema, markup, references, also to ansible.builtin). It calls `ansible` by name.
docs-lint: venv stage
	cd $(STAGE) && PATH=$(CURDIR)/$(VENV)/bin:$$PATH antsibull-docs lint-collection-docs --plugin-docs \
	  --validate-collection-refs all --disallow-unknown-collection-refs .
	@echo "docs-lint: passed"

# The first release's changelog, rehearsed on a throwaway copy (antsibull-changelog release consumes
# the fragments; the checkout keeps them until the release is cut): build/CHANGELOG-<version>.rst.
changelog: venv
	tests/tools/changelog_release.sh

# Names Ansible itself uses (plugin entry points, documentation, doc fragment variants): not dead code.
VULTURE_ENTRY_POINTS := DOCUMENTATION,EXAMPLES,RETURN,ModuleDocFragment,LINK_MODULE,INFO_MODULE,FilterModule,TestModule,filters,tests,transport,has_pipelining

lint: stage
	$(VENV)/bin/antsibull-changelog lint
	# No dead code in the plugins.
	$(VENV)/bin/vulture plugins --min-confidence 60 --ignore-names $(VULTURE_ENTRY_POINTS)
	cd $(STAGE) && $(CURDIR)/$(VENV)/bin/ansible-lint --profile production --offline
	# The README's examples, checked against the modules' real argument specs.
	python3 tests/tools/readme_examples.py README.md build/readme-examples
	cd build/readme-examples && $(CURDIR)/$(VENV)/bin/ansible-lint --profile production --offline readme_example_*.yml
	python3 tests/tools/readme_examples.py roles/host_shim/README.md build/role-readme-examples
	cd build/role-readme-examples && $(CURDIR)/$(VENV)/bin/ansible-lint --profile production --offline readme_example_*.yml

sanity: stage
	tests/tools/sanity.sh

units: venv
	$(PYTEST) -q tests/unit

# --dist loadfile: a test file stays on one worker, so a file's module-scoped lab (a confined Docker or
# Podman engine, a daemon) starts once and its tests see each other's state in file order.
integration: venv stage
	$(PYTEST) -q -n $(PYTEST_WORKERS) --dist loadfile tests/integration

# pytest-ansible as a user's client (tests/pytest_ansible, with its own pytest.ini): every module and
# the host_shim role through Ansible's executor against lab namespaces (lmvp*), and the README's
# "Testing your own playbooks" example. -rs prints why a test was skipped.
pytest-ansible: venv stage
	$(PY) -m pytest -q -rs tests/pytest_ansible

molecule: venv stage
	tests/tools/molecule.sh

# The demo: builds a namespace lab (lmvd-*), runs the playbooks against it, proves it by pings.
demo: deps engines venv stage
	$(PY) playbooks/demo/demo.py

demo-clean:
	python3 playbooks/demo/demo.py --clean

# Benchmarks against iproute2 (not part of `make test`; see benchmarks/README.md).
bench: deps venv stage
	$(PY) benchmarks/run.py

clean:
	rm -rf build
