# The two commands: `make demo` and `make test`. Everything else is a helper.
export UV_PYTHON_DOWNLOADS := never
# The interpreter the virtualenv is built on (why: scripts/python-select.sh).
PYTHON_311 := $(shell bash scripts/python-select.sh)
ifneq ($(PYTHON_311),)
export UV_PYTHON := $(PYTHON_311)
endif
PORT ?= 8000
UV := uv run --locked

.PHONY: demo test setup deps messages lint typecheck bench ci clean

deps:
	@bash scripts/system-deps.sh
	@bash scripts/python-deps.sh

messages: deps
	@NUANXIN_DEMO=1 $(UV) python manage.py compilemessages --ignore=.venv -v 0

setup: messages
	@mkdir -p var
	@NUANXIN_DEMO=1 $(UV) python manage.py migrate --no-input -v 0
	@NUANXIN_DEMO=1 $(UV) python manage.py seed_demo
	@NUANXIN_DEMO=1 $(UV) python manage.py collectstatic --no-input -v 0

demo: setup
	@NUANXIN_DEMO=1 PORT=$(PORT) $(UV) python manage.py rundemo --port $(PORT)

test: messages
	@$(UV) pytest -n 2 --dist loadfile --durations=15

lint:
	@$(UV) ruff check .
	@$(UV) ruff format --check .

typecheck:
	@NUANXIN_TESTING=1 $(UV) mypy nuanxin

ci:
	@bash .ci/run

clean:
	rm -rf var .venv
