# Convenience targets; the scripts are the source of truth.
.PHONY: all test run demo-model
all:
	cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release && ninja -C build
run:
	bash scripts/run.sh
test:
	bash scripts/test.sh
# Retrain the embedded demo bundle (models/demo) from scratch: about 2 hours on 2 cores.
demo-model:
	bash scripts/demo_model.sh
