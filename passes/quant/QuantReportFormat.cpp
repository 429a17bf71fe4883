//===- QuantReportFormat.cpp - A quantization report as text, JSON, HTML ---===//
#include "passes/quant/QuantReportFormat.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <cmath>

namespace qatc {

namespace {

std::string formatNumber(double V) { return llvm::formatv("{0}", llvm::format("%.4g", V)).str(); }

/// One value, or the span of per-channel values with the channel count.
std::string formatValues(llvm::ArrayRef<float> Values) {
  if (Values.empty())
    return "-";
  auto [Lo, Hi] = std::minmax_element(Values.begin(), Values.end());
  if (*Lo == *Hi)
    return formatNumber(*Lo) + (Values.size() > 1 ? llvm::formatv(" ({0} ch)", Values.size()).str() : "");
  return formatNumber(*Lo) + ".." + formatNumber(*Hi) +
         llvm::formatv(" ({0} ch)", Values.size()).str();
}

std::string formatRange(const FakeQuantReport &F) {
  if (F.ObservedMin && F.ObservedMax)
    return "[" + formatNumber(*F.ObservedMin) + ", " + formatNumber(*F.ObservedMax) + "]";
  return F.Observer == "fixed" ? "fixed qparams" : "not observed";
}

std::string flagText(const QuantReport &R, const FakeQuantReport &F) {
  return F.Flagged ? "under " + formatNumber(R.ThresholdDb) + " dB" : "";
}

llvm::json::Value sqnrJson(double Db) {
  if (std::isfinite(Db))
    return Db;
  return formatSqnr(Db);
}

llvm::json::Value optionalJson(std::optional<float> V) {
  if (V)
    return double(*V);
  return nullptr;
}

llvm::json::Array floatsJson(llvm::ArrayRef<float> Values) {
  llvm::json::Array A;
  for (float V : Values)
    A.push_back(double(V));
  return A;
}

std::string outputSummary(const QuantReport &R) {
  std::string S;
  for (const auto &[Name, Stats] : R.Outputs)
    S += (S.empty() ? "" : ", ") + Name + " " + formatSqnr(Stats.sqnrDb()) + " dB";
  return S;
}

/// The horizontal bar chart of per-fake-quant SQNR.
void printChart(const QuantReport &R, llvm::raw_ostream &OS) {
  constexpr int LabelWidth = 300, BarWidth = 460, RowHeight = 22, Top = 34, Bottom = 12;
  double MaxFinite = R.ThresholdDb;
  for (const FakeQuantReport &F : R.FakeQuants)
    if (std::isfinite(F.Error.sqnrDb()))
      MaxFinite = std::max(MaxFinite, F.Error.sqnrDb());
  // The axis ends at a multiple of 10 dB past the largest finite value.
  double AxisMax = std::max(10.0, std::ceil(MaxFinite / 10 + 0.01) * 10);
  auto X = [&](double Db) {
    return LabelWidth + BarWidth * std::clamp(Db, 0.0, AxisMax) / AxisMax;
  };
  int Height = Top + RowHeight * int(R.FakeQuants.size()) + Bottom;
  int Width = LabelWidth + BarWidth + 90;
  OS << llvm::formatv("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" "
                      "viewBox=\"0 0 {0} {1}\" font-family=\"sans-serif\" font-size=\"12\" "
                      "role=\"img\" aria-label=\"SQNR per fake quant\">\n",
                      Width, Height);
  for (double Tick = 0; Tick <= AxisMax + 1e-9; Tick += 10) {
    OS << llvm::formatv("<line x1=\"{0:f1}\" y1=\"{1}\" x2=\"{0:f1}\" y2=\"{2}\" stroke=\"#ddd\"/>\n",
                        X(Tick), Top - 6, Height - Bottom);
    OS << llvm::formatv("<text x=\"{0:f1}\" y=\"{1}\" text-anchor=\"middle\" fill=\"#555\">{2}"
                        "</text>\n",
                        X(Tick), Top - 10, int(Tick));
  }
  OS << llvm::formatv("<text x=\"{0}\" y=\"12\" text-anchor=\"middle\" fill=\"#333\">SQNR (dB)"
                      "</text>\n",
                      LabelWidth + BarWidth / 2);
  for (size_t I = 0; I < R.FakeQuants.size(); ++I) {
    const FakeQuantReport &F = R.FakeQuants[I];
    double Db = F.Error.sqnrDb();
    int Y = Top + RowHeight * int(I);
    OS << llvm::formatv("<text x=\"{0}\" y=\"{1}\" text-anchor=\"end\">", LabelWidth - 8,
                        Y + RowHeight - 7);
    llvm::printHTMLEscaped(F.Layer + " (" + fakeQuantKindName(F.Kind).str() + ")", OS);
    OS << "</text>\n";
    const char *Fill = F.Flagged ? "#d62728" : "#2ca02c";
    OS << llvm::formatv("<rect class=\"{0}\" x=\"{1}\" y=\"{2}\" width=\"{3:f1}\" height=\"{4}\" "
                        "fill=\"{5}\"><title>",
                        F.Flagged ? "flagged" : "ok", LabelWidth, Y + 3,
                        X(std::isnan(Db) ? 0.0 : Db) - LabelWidth, RowHeight - 6, Fill);
    llvm::printHTMLEscaped(F.Name + ": " + formatSqnr(Db) + " dB", OS);
    OS << "</title></rect>\n";
    OS << llvm::formatv("<text x=\"{0:f1}\" y=\"{1}\" fill=\"#333\">{2}</text>\n",
                        X(std::isnan(Db) ? 0.0 : Db) + 4, Y + RowHeight - 7,
                        std::isinf(Db) && Db > 0 ? "inf (exact)" : formatSqnr(Db));
  }
  OS << llvm::formatv("<line class=\"threshold\" x1=\"{0:f1}\" y1=\"{1}\" x2=\"{0:f1}\" y2=\"{2}\" "
                      "stroke=\"#333\" stroke-dasharray=\"4 3\"><title>threshold {3} dB</title>"
                      "</line>\n",
                      X(R.ThresholdDb), Top - 6, Height - Bottom, formatNumber(R.ThresholdDb));
  OS << "</svg>\n";
}

} // namespace

std::string formatSqnr(double Db) {
  if (std::isnan(Db))
    return "nan";
  if (std::isinf(Db))
    return Db > 0 ? "inf" : "-inf";
  return llvm::formatv("{0:f1}", Db).str();
}

void printReportMarkdown(const QuantReport &R, llvm::raw_ostream &OS) {
  OS << "| layer | fake quant | kind | scale | zero point | observed range | SQNR (dB) "
        "| max abs error | flag |\n";
  OS << "|---|---|---|---|---|---|---:|---:|---|\n";
  for (const FakeQuantReport &F : R.FakeQuants) {
    std::string Flag = flagText(R, F);
    OS << "| " << F.Layer << " | " << F.Name << " | " << fakeQuantKindName(F.Kind) << " | "
       << formatValues(F.Scale) << " | " << formatValues(F.ZeroPoint) << " | " << formatRange(F)
       << " | " << formatSqnr(F.Error.sqnrDb()) << " | " << formatNumber(F.Error.MaxAbsError)
       << " | " << (Flag.empty() ? "" : "**" + Flag + "**") << " |\n";
  }
  OS << "\nOutput SQNR, fake-quant graph against float graph over " << R.Samples
     << " samples: " << outputSummary(R) << ".\n";
  OS << R.numFlagged() << " of " << R.FakeQuants.size() << " fake quants under "
     << formatNumber(R.ThresholdDb) << " dB.\n";
  OS << "SQNR: weight rows compare the fake-quantized weight with the float weight; input "
        "and activation rows compare the fake-quant graph's tensor with the float graph's.\n";
}

llvm::json::Value reportToJson(const QuantReport &R) {
  llvm::json::Array Outputs, FakeQuants;
  for (const auto &[Name, Stats] : R.Outputs)
    Outputs.push_back(llvm::json::Object{{"name", Name},
                                         {"sqnr_db", sqnrJson(Stats.sqnrDb())},
                                         {"max_abs_error", Stats.MaxAbsError}});
  for (const FakeQuantReport &F : R.FakeQuants)
    FakeQuants.push_back(llvm::json::Object{
        {"name", F.Name},
        {"layer", F.Layer},
        {"kind", fakeQuantKindName(F.Kind)},
        {"observer", F.Observer},
        {"scale", floatsJson(F.Scale)},
        {"zero_point", floatsJson(F.ZeroPoint)},
        {"quant_min", F.QuantMin},
        {"quant_max", F.QuantMax},
        {"observed_min", optionalJson(F.ObservedMin)},
        {"observed_max", optionalJson(F.ObservedMax)},
        {"sqnr_db", sqnrJson(F.Error.sqnrDb())},
        {"max_abs_error", F.Error.MaxAbsError},
        {"flagged", F.Flagged},
    });
  return llvm::json::Object{{"samples", R.Samples},
                            {"threshold_db", R.ThresholdDb},
                            {"flagged", R.numFlagged()},
                            {"outputs", std::move(Outputs)},
                            {"fake_quants", std::move(FakeQuants)}};
}

void printReportHtml(const QuantReport &R, llvm::StringRef Model, llvm::raw_ostream &OS) {
  OS << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>qatc "
        "report: ";
  llvm::printHTMLEscaped(Model, OS);
  OS << "</title>\n<style>\n"
        "body { font-family: sans-serif; margin: 2em; color: #222; }\n"
        "table { border-collapse: collapse; font-size: 13px; }\n"
        "th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: left; }\n"
        "td.num { text-align: right; }\n"
        "tr.flagged td { background: #fde0e0; }\n"
        "</style>\n</head>\n<body>\n<h1>Quantization report: ";
  llvm::printHTMLEscaped(Model, OS);
  OS << "</h1>\n<p>";
  llvm::printHTMLEscaped(llvm::formatv("{0} samples. Output SQNR (fake-quant graph against "
                                       "float graph): {1}. {2} of {3} fake quants under {4} dB.",
                                       R.Samples, outputSummary(R), R.numFlagged(),
                                       R.FakeQuants.size(), formatNumber(R.ThresholdDb))
                             .str(),
                         OS);
  OS << "</p>\n";
  printChart(R, OS);
  OS << "<p>Weight rows compare the fake-quantized weight with the float weight; input and "
        "activation rows compare the fake-quant graph's tensor with the float graph's.</p>\n";
  OS << "<table>\n<tr><th>layer</th><th>fake quant</th><th>kind</th><th>scale</th>"
        "<th>zero point</th><th>observed range</th><th>SQNR (dB)</th><th>max abs error</th>"
        "<th>flag</th></tr>\n";
  for (const FakeQuantReport &F : R.FakeQuants) {
    OS << (F.Flagged ? "<tr class=\"flagged\">" : "<tr>");
    for (const std::string &Cell :
         {F.Layer, F.Name, fakeQuantKindName(F.Kind).str(), formatValues(F.Scale),
          formatValues(F.ZeroPoint), formatRange(F)}) {
      OS << "<td>";
      llvm::printHTMLEscaped(Cell, OS);
      OS << "</td>";
    }
    OS << "<td class=\"num\">" << formatSqnr(F.Error.sqnrDb()) << "</td><td class=\"num\">"
       << formatNumber(F.Error.MaxAbsError) << "</td><td>" << flagText(R, F) << "</td></tr>\n";
  }
  OS << "</table>\n</body>\n</html>\n";
}

} // namespace qatc
