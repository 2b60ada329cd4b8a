# The two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
CONFIG ?= Release
OUT ?= out/rendition
export DOTNET_CLI_TELEMETRY_OPTOUT := 1
export DOTNET_NOLOGO := 1

.PHONY: help run test build publish bench clean format openapi

help:
	@echo "make run    install what is missing, build, and start Rendition on http://localhost:8080"
	@echo "make test   install what the tests need and run every test"
	@echo "make bench  measure the service against raw ffmpeg"
	@echo "make openapi  regenerate docs/openapi.json from the endpoints (after changing the API)"

publish:
	dotnet publish src/Rendition.Server -c $(CONFIG) -o $(OUT) --nologo -v quiet

build:
	dotnet build Rendition.slnx -c $(CONFIG) --nologo -v quiet

run:
	@scripts/ensure-deps.sh run
	@$(MAKE) --no-print-directory publish
	@scripts/run.sh $(OUT)

test:
	@scripts/ensure-deps.sh test
	@scripts/test.sh $(CONFIG)

bench:
	@scripts/ensure-deps.sh bench
	@bench/run.sh

format:
	dotnet format Rendition.slnx

# The committed API reference is the document the server serves; OpenApiTests fails until it is regenerated.
openapi: build
	RENDITION_UPDATE_OPENAPI=1 dotnet test tests/Rendition.Server.Tests -c $(CONFIG) --no-build --nologo \
		--filter "FullyQualifiedName~OpenApiTests.CommittedCopy"

clean:
	rm -rf out TestResults src/*/bin src/*/obj tests/*/bin tests/*/obj
