# Holm, Benjamini-Hochberg and Bonferroni adjusted p-values from R's p.adjust.
#
#   Rscript tests/reference/multtest_padjust.R   (from the repository root)
#
# tests/inference/test_multiple_testing.py compares mi.adjust_pvalues with these.
suppressPackageStartupMessages(library(jsonlite))
cases <- list(
  sorted = c(0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205, 0.212, 0.216),
  unsorted_ties = c(0.04, 0.01, 0.04, 0.3, 0.0, 0.01, 1.0, 0.5, 0.049),
  with_missing = c(0.02, NA, 0.5, 0.001, NA, 0.03),
  single = c(0.03)
)
set.seed(15)  # a seeded draw of 70 p-values, about as many as the book tests
cases$seventy <- round(rbeta(70, 0.4, 1.2), 12)
methods <- c(holm = "holm", bh = "BH", bonferroni = "bonferroni")
# the use case: the 8 slopes of four regressions on data/multtest_rwolf_readme.csv
# (made by multtest_stata_rwolf.R), their iid p-values adjusted as one family
readme <- read.csv("tests/reference/data/multtest_rwolf_readme.csv")
regressions <- list()
slope_p <- c()
for (y in c("Y1", "Y2", "Y3", "Y4")) {
  co <- summary(lm(as.formula(paste(y, "~ X1 + X2")), data = readme))$coefficients
  regressions[[y]] <- list(estimate = as.list(co[c("X1", "X2"), 1]),
                           p_value = as.list(co[c("X1", "X2"), 4]))
  slope_p <- c(slope_p, co[c("X1", "X2"), 4])
}
cases$regressions <- unname(slope_p)
out <- list()
for (name in names(cases)) {
  p <- cases[[name]]
  entry <- list(p = p)
  for (m in names(methods)) entry[[m]] <- p.adjust(p, method = methods[[m]])
  out[[name]] <- entry
}
ref <- list(
  description = "R p.adjust(p, method) for holm, BH and bonferroni",
  generated_by = "tests/reference/multtest_padjust.R",
  call = "p.adjust(p, method = 'holm' | 'BH' | 'bonferroni')",
  regressions_call = "lm(Yk ~ X1 + X2, data = read.csv('data/multtest_rwolf_readme.csv')), k = 1..4; case 'regressions' = p-values of X1, X2 in that order",
  regressions = regressions,
  R = R.version.string,
  versions = list(stats = as.character(packageVersion("stats"))),
  cases = out
)
writeLines(toJSON(ref, auto_unbox = TRUE, digits = NA, pretty = TRUE, na = "null"),
           "tests/reference/multtest_padjust.json")
