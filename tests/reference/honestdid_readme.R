# Reference numbers of the R package HonestDiD (Rambachan and Roth), frozen from its README.
#
# The README of github.com/asheshrambachan/HonestDiD prints its examples to three digits;
# the knitr cache committed next to it (README_cache/gfm/*.rdb) holds the same objects in
# full precision. This script reads that cache (no HonestDiD, did or fixest needed: only
# base R and jsonlite) and writes honestdid_readme.json and data/ehec_data.csv.
#
# Source: repository asheshrambachan/HonestDiD, commit 6813f02ed38f0b63bdca6915604b2eac90491303
# (2026-04-11). The cached chunks used were rendered at commit 99e05c7 (2024-03-28,
# "Add Sun and Abraham Example (#55)") with HonestDiD from the branch issue_grid
# (commit 888de5e, "Fixed grid to match Stata's improvement"): the theta grid of relative
# magnitudes is centred on l'beta_post (CRAN's master uses [-20 sd, 20 sd]).
# Chunks (README.Rmd order): 3 TWFE fit (not cached; refitted from the data), 4 relative
# magnitudes, 6 smoothness, 7 average effect, 8 TWFE with a control (betahat, sigma, data),
# 10 Sun-Abraham (fixest sunab beta and sigma, the full data), 12 Callaway-Sant'Anna
# (did::att_gt with base_period = "universal", aggte dynamic, min_e = -5, max_e = 5).
# Two older chunks left in the same cache were rendered with CRAN's grid ([-20 sd, 20 sd]):
# chunk 5 (commit fa4ce02, 2022-09-14: relative magnitudes, Mbar = 0, 0.5, ..., 2) and chunk 9
# (commit 1442cce, 2023-05-19: Callaway-Sant'Anna); they check grid = "zero".
# Run: Rscript honestdid_readme.R /path/to/HonestDiD   (a checkout of that commit)
library(jsonlite)
args <- commandArgs(trailingOnly = TRUE)
repo <- if (length(args)) args[1] else "HonestDiD"
ld <- function(chunk) {
  f <- list.files(file.path(repo, "README_cache", "gfm"), pattern = paste0("^", chunk, "_.*rdb$"),
                  full.names = TRUE)
  e <- new.env(); lazyLoad(sub("\\.rdb$", "", f), envir = e); e
}
e4 <- ld("unnamed-chunk-4"); e6 <- ld("unnamed-chunk-6"); e7 <- ld("unnamed-chunk-7")
e8 <- ld("unnamed-chunk-8"); e10 <- ld("unnamed-chunk-10"); e12 <- ld("unnamed-chunk-12")
e5 <- ld("unnamed-chunk-5"); e9 <- ld("unnamed-chunk-9")
full <- as.data.frame(lapply(e10$df, as.numeric))[, c("stfips", "year", "dins", "yexp2", "W")]
write.csv(full, "data/ehec_data.csv", row.names = FALSE)
es <- e12$es
inf <- es$inf.function$dynamic.inf.func.e
tib <- function(x) {
  x <- as.data.frame(lapply(x, function(col) if (is.matrix(col)) col[, 1] else col))
  x[, intersect(c("lb", "ub", "method", "Delta", "M", "Mbar"), names(x))]
}
# the tables README.md prints (three significant digits), copied from its text
printed <- list(
  rm = data.frame(Mbar = c(0.5, 1, 1.5, 2), lb = c(0.0241, 0.0171, 0.00859, -0.00107),
                  ub = c(0.0673, 0.0720, 0.0796, 0.0883)),
  sd = data.frame(M = seq(0, 0.05, by = 0.01),
                  lb = c(0.0259, 0.0132, 0.00286, -0.00714, -0.0171, -0.0271),
                  ub = c(0.0607, 0.0787, 0.0907, 0.101, 0.111, 0.121)),
  sd_controls = data.frame(M = seq(0, 0.05, by = 0.01),
                           lb = c(0.0264, 0.0128, 0.00186, -0.00814, -0.0181, -0.0281),
                           ub = c(0.0607, 0.0788, 0.0908, 0.101, 0.111, 0.121)))
out <- list(
  producer = "R HonestDiD (README examples, knitr cache), with fixest and did",
  source = paste("github.com/asheshrambachan/HonestDiD @ 6813f02ed38f0b63bdca6915604b2eac90491303:",
                 "README.md and README_cache/gfm/unnamed-chunk-{4,6,7,8,10,12}_*.rdb",
                 "(rendered at 99e05c7, 2024-03-28, grid of branch issue_grid 888de5e)"),
  script = "honestdid_readme.R",
  data = "data/ehec_data.csv (Mixtape Sessions Advanced-DID ehec_data.dta, as cached in the README)",
  printed = printed,
  rm = tib(e4$delta_rm_results),
  sd = tib(e6$delta_sd_results),
  rm_average = tib(e7$delta_rm_results_avg),
  original_average = tib(e7$originalResults_avg),
  controls = list(betahat = unname(e8$betahat), sigma = unname(e8$sigma)),
  sunab = list(beta = c(e10$beta_vcv$beta), sigma = unname(e10$beta_vcv$sigma),
               event_times = e10$beta_vcv$cohorts, robust = tib(e10$sensitivity_results),
               original = tib(e10$original_results)),
  cs = list(event_times = es$egt, att = es$att.egt, vcov = t(inf) %*% inf / nrow(inf)^2,
            robust = tib(e12$sensitivity_results$robust_ci),
            original = tib(e12$sensitivity_results$orig_ci)),
  cran_grid = list(rm = tib(e5$delta_rm_results), cs = tib(e9$sensitivity_results$robust_ci))
)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "honestdid_readme.json")
