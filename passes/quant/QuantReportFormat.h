//===- QuantReportFormat.h - A quantization report as text, JSON, HTML -*- C++ -*-===//
//
// The forms `qatc report` prints a QuantReport in: a Markdown table for the
// terminal, one JSON object, and a self-contained HTML page (no scripts, no
// external files) with the table and a hand-written SVG bar chart of the
// per-fake-quant SQNR, the threshold drawn as a line and flagged bars in red.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_PASSES_QUANT_QUANTREPORTFORMAT_H
#define QATC_PASSES_QUANT_QUANTREPORTFORMAT_H

#include "passes/quant/QuantReport.h"

#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

namespace qatc {

/// An SQNR for people: one decimal, "inf" (exact) or "-inf".
std::string formatSqnr(double Db);

/// Prints the report as a Markdown table, one row per fake quant, then the
/// output SQNR and the number of flagged fake quants.
void printReportMarkdown(const QuantReport &R, llvm::raw_ostream &OS);

/// The report as JSON: samples, threshold_db, flagged, outputs (name,
/// sqnr_db, max_abs_error) and fake_quants (name, layer, kind, observer,
/// scale, zero_point, quant_min, quant_max, observed_min, observed_max,
/// sqnr_db, max_abs_error, flagged). A non-finite sqnr_db is the string
/// "inf" or "-inf"; an unobserved range is null.
llvm::json::Value reportToJson(const QuantReport &R);

/// Prints a self-contained HTML page titled after Model: a summary, the SVG
/// bar chart and the table.
void printReportHtml(const QuantReport &R, llvm::StringRef Model, llvm::raw_ostream &OS);

} // namespace qatc

#endif // QATC_PASSES_QUANT_QUANTREPORTFORMAT_H
