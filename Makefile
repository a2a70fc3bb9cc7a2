# camwatch: the two commands are `make run` and `make test`; the rest are for developers.
.PHONY: run test lint typecheck fmt contracts bench bootstrap clean totp faults

bootstrap:
	@scripts/bootstrap.sh

run: bootstrap
	@.venv/bin/python scripts/devstack.py up

test: bootstrap
	@scripts/system-packages.sh
	@scripts/test.sh

lint: bootstrap
	@.venv/bin/ruff check .
	@.venv/bin/ruff format --check .
	@scripts/check_deps.sh
	@.venv/bin/lint-imports

typecheck: bootstrap
	@.venv/bin/mypy servicekit/src devkit/src gateway/src services/*/src

fmt: bootstrap
	@.venv/bin/ruff format .
	@.venv/bin/ruff check --fix .

contracts: bootstrap
	@.venv/bin/python scripts/export_contracts.py

# The fault and load suite's long form (docs/reliability.md): every process killed under load.
faults: bootstrap
	@mkdir -p var/test-logs
	@CAMWATCH_FAULTS=long .venv/bin/pytest -p no:cacheprovider -o timeout=3000 -rA tests/faults

bench: bootstrap
	@for b in bench/*.py; do echo "== $$b"; .venv/bin/python $$b || exit 1; done

ACCOUNT ?= officer
totp:
	@.venv/bin/python scripts/devstack.py totp $(ACCOUNT)

clean:
	rm -rf var .venv .uv
