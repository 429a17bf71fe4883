# lit configuration for qatc's golden-graph tests (*.qir with RUN/CHECK lines).
import os

import lit.formats

config.name = "qatc"
config.test_format = lit.formats.ShTest(execute_external=True)
config.suffixes = [".qir"]
config.excludes = ["support", "fixtures", "goldens"]
config.test_source_root = os.path.dirname(os.path.abspath(__file__))
config.test_exec_root = os.environ.get("TEST_TMPDIR", "/tmp/qatc-lit")

qatc_bin_dir = lit_config.params.get("qatc_bin_dir")
if not qatc_bin_dir:
    lit_config.fatal("pass --param qatc_bin_dir=DIR (the folder holding the qatc binary)")
config.environment["PATH"] = os.pathsep.join(
    [qatc_bin_dir, "/usr/lib/llvm-16/bin", os.environ.get("PATH", "/usr/bin:/bin")]
)
