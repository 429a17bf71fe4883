//===- PluginLoader.cpp - Loading pass plugins into qatc ------------------===//
#include "passes/plugin/PluginLoader.h"

#include "passes/PassRegistry.h"
#include "passes/plugin/PluginHost.h"
#include "passes/quant/BackendPatterns.h"
#include "passes/quant/PrepareHooks.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"

#include <dlfcn.h>
#include <string>
#include <vector>

namespace qatc {

namespace {

/// A plugin that was loaded: the path as given, the file it resolved to
/// and its name (to recognise it, or a namesake, when loaded again).
struct LoadedPlugin {
  std::string Path;
  std::string RealPath;
  std::string Name;
};

std::vector<LoadedPlugin> &loaded() {
  static std::vector<LoadedPlugin> *L = new std::vector<LoadedPlugin>();
  return *L;
}

llvm::Error pluginError(const llvm::Twine &Message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), Message);
}

/// What a failed callback said, or its status when it said nothing.
std::string callbackMessage(const qatc_error &E, qatc_status Status) {
  if (!E.Message.empty())
    return E.Message;
  return ("it returned status " + llvm::Twine(Status) + " without a message").str();
}

/// A pass a plugin registered.
class PluginPass : public Pass {
public:
  PluginPass(PluginCallback Callback, std::string PluginPath, std::string PluginName)
      : Callback(std::move(Callback)), PluginPath(std::move(PluginPath)),
        PluginName(std::move(PluginName)) {}

  llvm::StringRef name() const override { return Callback.Name; }

  llvm::Error run(Graph &G, PassContext &Ctx) override {
    qatc_graph Handle(G);
    Handle.Decisions = Ctx.Decisions;
    Handle.DecidedBy = "plugin '" + PluginName + "' (pass '" + Callback.Name + "')";
    qatc_error Error;
    qatc_status S = Callback.Run(Callback.UserData, &Handle, &Error);
    if (S == QATC_OK)
      return llvm::Error::success();
    return pluginError("plugin '" + PluginPath + "' reports: " + callbackMessage(Error, S));
  }

private:
  PluginCallback Callback;
  std::string PluginPath;
  std::string PluginName;
};

PrepareHook makePrepareHook(PluginCallback Callback, const LoadedPlugin &Plugin) {
  std::string DecidedBy =
      "plugin '" + Plugin.Name + "' (prepare hook '" + Callback.Name + "')";
  std::string Path = Plugin.Path;
  std::string Name = Callback.Name;
  return PrepareHook{Name, [=](Graph &G, QuantDecisions &Decisions) -> llvm::Error {
                       qatc_graph Handle(G);
                       Handle.Decisions = &Decisions;
                       Handle.AllowMutation = false;
                       Handle.DecidedBy = DecidedBy;
                       qatc_error Error;
                       qatc_status S = Callback.Run(Callback.UserData, &Handle, &Error);
                       if (S == QATC_OK)
                         return llvm::Error::success();
                       return pluginError("prepare hook '" + Name + "' of plugin '" + Path +
                                          "' failed: " + callbackMessage(Error, S));
                     }};
}

BackendOp toBackendOp(const qatc_backend_op &R) {
  BackendOp Row;
  Row.Op = fromQatcString(R.op);
  Row.Kind = PatternKind(R.kind);
  Row.WeightAxis = R.weight_axis;
  Row.FusesBatchNorm = R.fuses_batch_norm;
  Row.ActAfterBatchNorm = R.act_after_batch_norm;
  Row.FusesActivation = R.fuses_activation;
  Row.Combination = R.combination;
  Row.NonNegative = R.non_negative;
  Row.FixedScale = R.fixed_scale;
  Row.FixedZeroPoint = R.fixed_zero_point;
  return Row;
}

/// The first line of dlerror's text without the path it repeats.
std::string dlopenReason(llvm::StringRef RealPath) {
  const char *E = dlerror();
  llvm::StringRef Why = E ? llvm::StringRef(E) : llvm::StringRef("unknown reason");
  Why = Why.split('\n').first;
  Why.consume_front(RealPath);
  Why = Why.ltrim(": ");
  return Why.str();
}

/// Checks the names a plugin registered against what is registered already,
/// then adds the backend rows and fusions (each checked as it is added) and
/// the passes and hooks.
llvm::Error commit(qatc_registrar &R, const LoadedPlugin &Plugin) {
  llvm::StringRef Path = Plugin.Path;
  for (const PluginCallback &P : R.Passes) {
    if (PassRegistry::get().lookup(P.Name))
      return pluginError("pass plugin '" + Path + "' registers pass '" + P.Name +
                         "', which is already registered; rename the plugin's pass");
    if (llvm::Error E = PassRegistry::get().checkNewName(P.Name))
      return pluginError("pass plugin '" + Path + "': " + llvm::toString(std::move(E)));
  }
  for (const PluginCallback &H : R.Hooks)
    for (const PrepareHook &Existing : prepareHooks())
      if (Existing.Name == H.Name)
        return pluginError("pass plugin '" + Path + "' registers prepare hook '" + H.Name +
                           "', which is already registered; rename the plugin's hook");
  for (const qatc_backend_op &Row : R.Rows)
    if (llvm::Error E = addBackendOp(toBackendOp(Row)))
      return pluginError("pass plugin '" + Path + "': " + llvm::toString(std::move(E)));
  for (const auto &F : R.Fusions)
    if (llvm::Error E = addFusion(F.first, F.second))
      return pluginError("pass plugin '" + Path + "': " + llvm::toString(std::move(E)));
  for (const PluginCallback &P : R.Passes) {
    PassInfo Info;
    Info.Name = P.Name;
    Info.Description = P.Description.empty() ? "(from plugin " + Plugin.Name + ")"
                                             : P.Description + " (from plugin " + Plugin.Name + ")";
    std::string PluginPath = Plugin.Path, PluginName = Plugin.Name;
    Info.Factory = [P, PluginPath, PluginName](
                       const PassOptions &) -> llvm::Expected<std::unique_ptr<Pass>> {
      return std::make_unique<PluginPass>(P, PluginPath, PluginName);
    };
    // The name was checked above.
    llvm::cantFail(PassRegistry::get().registerPass(std::move(Info)));
  }
  for (const PluginCallback &H : R.Hooks) {
    // Names were checked above and within the registrar.
    llvm::cantFail(addPrepareHook(makePrepareHook(H, Plugin)));
  }
  return llvm::Error::success();
}

} // namespace

llvm::Error loadPassPlugin(llvm::StringRef Path) {
  auto CannotLoad = [&](const llvm::Twine &Why) {
    return pluginError("cannot load pass plugin '" + Path + "': " + Why);
  };
  llvm::sys::fs::file_status Status;
  if (llvm::sys::fs::status(Path, Status) || !llvm::sys::fs::exists(Status))
    return CannotLoad("no such file; check the --load-pass-plugin path");
  if (llvm::sys::fs::is_directory(Status))
    return CannotLoad("it is a directory; give the plugin's .so file");
  llvm::SmallString<256> Real;
  if (llvm::sys::fs::real_path(Path, Real))
    Real = Path;
  for (const LoadedPlugin &L : loaded())
    if (L.RealPath == Real)
      return llvm::Error::success();

  void *Handle = dlopen(Real.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!Handle)
    return CannotLoad("it is not a loadable shared library (" + dlopenReason(Real) + ")");
  auto Entry =
      reinterpret_cast<qatc_get_plugin_info_fn>(dlsym(Handle, QATC_PLUGIN_ENTRY_SYMBOL));
  if (!Entry)
    return pluginError("pass plugin '" + Path + "' does not export " QATC_PLUGIN_ENTRY_SYMBOL
                       "; define it with QATC_PLUGIN_EXPORT as qatc_plugin.h shows");
  const qatc_plugin_info *Info = Entry();
  if (!Info)
    return pluginError("pass plugin '" + Path + "' returned no plugin info from " +
                       QATC_PLUGIN_ENTRY_SYMBOL + "; return a pointer to a static qatc_plugin_info");
  // abi_version and struct_size lead the struct in every ABI version.
  if (Info->abi_version != QATC_PLUGIN_ABI_VERSION)
    return pluginError("pass plugin '" + Path + "' was built for qatc plugin ABI " +
                       llvm::Twine(Info->abi_version) + " but this qatc speaks ABI " +
                       llvm::Twine(QATC_PLUGIN_ABI_VERSION) +
                       "; rebuild it against this qatc's qatc_plugin.h");
  if (Info->struct_size < sizeof(qatc_plugin_info))
    return pluginError("pass plugin '" + Path + "' declares its qatc_plugin_info as " +
                       llvm::Twine(Info->struct_size) + " bytes but ABI " +
                       llvm::Twine(QATC_PLUGIN_ABI_VERSION) +
                       " needs " + llvm::Twine(unsigned(sizeof(qatc_plugin_info))) +
                       " bytes; rebuild it against this qatc's qatc_plugin.h");
  LoadedPlugin Plugin;
  Plugin.Path = Path.str();
  Plugin.RealPath = Real.str().str();
  Plugin.Name = fromQatcString(Info->name).str();
  if (Plugin.Name.empty() || !Info->register_plugin)
    return pluginError("pass plugin '" + Path + "' has " +
                       (Plugin.Name.empty() ? "an empty name" : "no register_plugin callback") +
                       " in its qatc_plugin_info; fill in every field");
  for (const LoadedPlugin &L : loaded())
    if (L.Name == Plugin.Name)
      return pluginError("pass plugin '" + Path + "' is named '" + Plugin.Name +
                         "' like the already loaded '" + L.Path + "'; load only one of them");

  qatc_registrar Registrar;
  qatc_error Error;
  qatc_status S = Info->register_plugin(&pluginHostApi(), &Registrar, &Error);
  // A refused registration is the more precise reason when both happened.
  if (!Registrar.Refused.empty())
    return pluginError("pass plugin '" + Path + "' made an invalid registration: " +
                       Registrar.Refused);
  if (S != QATC_OK)
    return pluginError("pass plugin '" + Path + "' failed to register: " +
                       callbackMessage(Error, S));
  if (llvm::Error E = commit(Registrar, Plugin))
    return E;
  loaded().push_back(std::move(Plugin));
  return llvm::Error::success();
}

llvm::Error loadPassPlugins(llvm::ArrayRef<std::string> Paths) {
  for (const std::string &P : Paths)
    if (llvm::Error E = loadPassPlugin(P))
      return E;
  return llvm::Error::success();
}

} // namespace qatc
