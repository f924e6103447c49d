# Reference numbers for massincidents.arellano_bond when there are more instruments
# than groups: R plm's pgmm on a simulated panel of 20 firms x 10 years (difference GMM,
# lags 2-99 of y as GMM instruments: 36 of them, 45 with x and the time dummies).
#
#   Rscript tests/reference/plm_pgmm_few_groups.R      (from anywhere)
#
# writes tests/reference/data/gmm_few_groups.csv (firm, year, y, x; 17 significant
# digits) and tests/reference/plm_pgmm_few_groups.json. With 20 groups the two-step
# weighting matrix sum_i W_i' e_i e_i' W_i has rank at most 20 < 45: plm inverts it with
# MASS::ginv (the Moore-Penrose inverse of the unscaled matrix, singular values below
# sqrt(.Machine$double.eps) times the largest dropped) and warns; the two-step estimates
# depend on that choice of generalised inverse. The one-step weighting matrix is regular.
# Stored per model: the exact call, coefficients, robust SEs (sqrt(diag(vcovHC(m))):
# vcovHC.pgmm, Windmeijer 2005 for two-step), plm's sargan(m) statistic, 17 digits.
# The data-generating process: y_it = 0.5 y_i,t-1 + 0.3 x_it + a_i + e_it,
# x_it = N(0,1) + 0.5 a_i, y_i1 = 2 a_i + N(0,1), a_i ~ N(0,1); set.seed(20).

suppressPackageStartupMessages({
  library(plm)
  library(jsonlite)
})

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
here <- if (length(script)) dirname(normalizePath(script)) else "tests/reference"

set.seed(20)
n <- 20; t <- 10
a <- rnorm(n)
x <- matrix(rnorm(n * t), n, t) + 0.5 * a
y <- matrix(0, n, t)
y[, 1] <- 2 * a + rnorm(n)
for (s in 2:t) y[, s] <- 0.5 * y[, s - 1] + 0.3 * x[, s] + a + rnorm(n)
d <- data.frame(firm = rep(1:n, each = t), year = rep(2001:(2000 + t), n),
                y = as.vector(t(y)), x = as.vector(t(x)))
csv <- file.path(here, "data", "gmm_few_groups.csv")
out17 <- d
out17$y <- sprintf("%.17g", d$y); out17$x <- sprintf("%.17g", d$x)
write.csv(out17, csv, row.names = FALSE, quote = FALSE)
d <- read.csv(csv)  # fit on exactly the digits stored
pd <- pdata.frame(d, index = c("firm", "year"))

digits <- function(v) setNames(sprintf("%.17g", v), names(v))
rename <- function(v) {
  nm <- names(v)
  nm[grepl("^[0-9]{4}$", nm)] <- paste0("year[", nm[grepl("^[0-9]{4}$", nm)], "]")
  names(v) <- nm
  v
}
models <- list()
for (effect in c("twoways", "individual")) {
  for (model in c("onestep", "twosteps")) {
    call <- sprintf(
      "pgmm(y ~ lag(y, 1) + x | lag(y, 2:99), data = pd, effect = \"%s\", model = \"%s\")",
      effect, model)
    m <- suppressWarnings(eval(parse(text = call)))
    se <- suppressWarnings(sqrt(diag(vcovHC(m))))
    models[[paste(effect, model, sep = "_")]] <- list(
      call = call,
      n_instruments = ncol(m$W[[1]]),
      coef = as.list(digits(rename(coef(m)))),
      se_robust = as.list(digits(rename(se))),
      sargan = sprintf("%.17g", sargan(m)$statistic)
    )
  }
}
out <- list(
  source = "R plm pgmm on a simulated panel of 20 groups; script tests/reference/plm_pgmm_few_groups.R",
  R = R.version.string,
  plm = as.character(packageVersion("plm")),
  jsonlite = as.character(packageVersion("jsonlite")),
  models = models
)
writeLines(toJSON(out, auto_unbox = TRUE, pretty = TRUE), file.path(here, "plm_pgmm_few_groups.json"))
