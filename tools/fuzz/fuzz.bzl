"""libFuzzer targets built with clang++-16 (the toolchain is gcc).

An aspect walks the cc_library graph below a fuzz target and compiles every
source of the repository with clang++-16 and
-fsanitize=fuzzer-no-link,address,undefined, one cached action per file (so
the fuzzers share their objects), taking includes and defines from CcInfo and
linkopts from every library, system ones included. qatc_fuzz_test links the
fuzzer once in a cached action and wraps it in an sh_test that fuzzes a copy
of the seed corpus for a fixed budget (tools/fuzz/run_fuzzer.sh).
"""

_CLANG = "/usr/bin/clang++-16"

# Instrumentation shared by every object and the link.
_SANITIZE = [
    "-fsanitize=address,undefined",
    "-fno-sanitize=vptr",
    "-fno-sanitize-recover=all",
    "-fno-omit-frame-pointer",
]

FuzzObjectsInfo = provider(
    doc = "Objects compiled for fuzzing and the linkopts they need.",
    fields = {
        "objects": "depset of .o Files",
        "linkopts": "depset of strings, in dependency order",
    },
)

def _compile(ctx, target, src, inputs):
    cc = target[CcInfo].compilation_context
    obj = ctx.actions.declare_file("_fuzz_objs/%s/%s.o" % (ctx.label.name, src.short_path.replace("/", "_")))
    args = ["-std=c++17", "-O1", "-g", "-w", "-fsanitize=fuzzer-no-link"] + _SANITIZE
    args += ["-D" + d for d in cc.defines.to_list()]
    args += ["-iquote" + p for p in cc.quote_includes.to_list()]
    args += ["-I" + p for p in cc.includes.to_list()]
    args += ["-isystem" + p for p in cc.system_includes.to_list()]
    args += getattr(ctx.rule.attr, "copts", [])
    args += ["-c", src.path, "-o", obj.path]
    ctx.actions.run(
        executable = _CLANG,
        arguments = args,
        inputs = depset([src], transitive = [inputs]),
        outputs = [obj],
        mnemonic = "FuzzCompile",
        progress_message = "Compiling %s for fuzzing" % src.short_path,
    )
    return obj

def _fuzz_objects_impl(target, ctx):
    deps = [d[FuzzObjectsInfo] for d in getattr(ctx.rule.attr, "deps", []) if FuzzObjectsInfo in d]
    objects = []
    if CcInfo in target and ctx.label.workspace_name == "":
        own = (getattr(ctx.rule.files, "srcs", []) + getattr(ctx.rule.files, "hdrs", []) +
               getattr(ctx.rule.files, "textual_hdrs", []))
        inputs = depset(own, transitive = [target[CcInfo].compilation_context.headers])
        for src in getattr(ctx.rule.files, "srcs", []):
            if src.extension in ["cc", "cpp"]:
                objects.append(_compile(ctx, target, src, inputs))
    return [FuzzObjectsInfo(
        objects = depset(objects, transitive = [d.objects for d in deps]),
        linkopts = depset(
            getattr(ctx.rule.attr, "linkopts", []),
            transitive = [d.linkopts for d in deps],
            order = "topological",
        ),
    )]

fuzz_objects = aspect(
    implementation = _fuzz_objects_impl,
    attr_aspects = ["deps"],
)

def _clang_fuzzer_impl(ctx):
    info = ctx.attr.lib[FuzzObjectsInfo]
    out = ctx.actions.declare_file(ctx.label.name)
    objects = info.objects.to_list()
    ctx.actions.run(
        executable = _CLANG,
        arguments = ["-fsanitize=fuzzer"] + _SANITIZE + ["-o", out.path] +
                    [o.path for o in objects] + info.linkopts.to_list() +
                    # libomp-16-dev's runtime (-fopenmp) is not on the loader's path.
                    ["-Wl,-rpath,/usr/lib/llvm-16/lib"],
        inputs = objects,
        outputs = [out],
        mnemonic = "FuzzLink",
        progress_message = "Linking fuzzer %s" % out.short_path,
    )
    return [DefaultInfo(files = depset([out]), executable = out)]

clang_fuzzer = rule(
    implementation = _clang_fuzzer_impl,
    attrs = {"lib": attr.label(aspects = [fuzz_objects], mandatory = True)},
    executable = True,
    doc = "A libFuzzer binary from a cc_library holding LLVMFuzzerTestOneInput.",
)

def qatc_fuzz_test(name, srcs, deps, seeds, dict = None, seconds = 15, max_len = 65536, rss_limit_mb = 2048, foreign_crashes = [], size = "medium", tags = []):
    """A libFuzzer target and the test that fuzzes it.

    Args:
      name: the test; the fuzzer binary is `name + "_bin"`.
      srcs: the fuzz target source (defines LLVMFuzzerTestOneInput).
      deps: the cc_libraries it calls.
      seeds: files copied into the starting corpus.
      dict: an optional libFuzzer dictionary.
      seconds: the fuzzing budget in CI ($QATC_FUZZ_SECONDS overrides it).
      max_len: the largest input libFuzzer generates.
      rss_limit_mb: the memory (and single allocation) beyond which an input
        counts as out-of-memory.
      foreign_crashes: names of uninstrumented libraries (e.g.
        "libtorch_cpu.so") whose own crashes and leaks are known, not failures
        (tools/fuzz/run_fuzzer.sh says how they are told apart).
      size: the test size.
      tags: extra test tags.
    """
    native.cc_library(
        name = name + "_lib",
        testonly = True,
        srcs = srcs,
        deps = deps,
        tags = ["manual"],
    )
    clang_fuzzer(
        name = name + "_bin",
        testonly = True,
        lib = name + "_lib",
        tags = ["manual"],
    )
    native.sh_test(
        name = name,
        size = size,
        srcs = ["//tools/fuzz:run_fuzzer.sh"],
        args = [
            "$(rootpath %s_bin)" % name,
            str(seconds),
            str(max_len),
            str(rss_limit_mb),
            "|".join(foreign_crashes) if foreign_crashes else "-",
            "$(rootpath %s)" % dict if dict else "-",
        ] + ["$(rootpaths %s)" % s if s.startswith(":") or s.startswith("//") else "$(rootpath %s)" % s for s in seeds],
        data = [name + "_bin"] + seeds + ([dict] if dict else []),
        tags = ["fuzz"] + tags,
    )
