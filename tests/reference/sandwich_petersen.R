# Reference variances for the variance menu (massincidents.inference.vcov),
# computed with R sandwich and plm on Petersen's simulated panel.
#
#   Rscript tests/reference/sandwich_petersen.R      (from the repository root)
#
# writes tests/reference/data/petersen.csv (the data, 17 significant digits)
# and tests/reference/sandwich_petersen.json (every number with the exact R
# call that produced it, 17 significant digits, R and package versions).
# Tests read the JSON and never need R.
#
# Data: PetersenCL from sandwich (Petersen 2009, "Estimating Standard Errors
# in Finance Panel Data Sets", Review of Financial Studies 22(1), 435-480):
# 500 firms x 10 years, y ~ x.

suppressPackageStartupMessages({
  library(sandwich)
  library(plm)
  library(jsonlite)
})

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
here <- if (length(script)) dirname(normalizePath(script)) else "tests/reference"

data("PetersenCL", package = "sandwich")
d <- PetersenCL

# The data as the tests read it: every value round-trips exactly.
csv <- data.frame(
  firm = d$firm, year = d$year,
  x = sprintf("%.17g", d$x), y = sprintf("%.17g", d$y)
)
write.csv(csv, file.path(here, "data", "petersen.csv"), row.names = FALSE, quote = FALSE)

fm <- lm(y ~ x, data = d)
pd <- pdata.frame(d, index = c("firm", "year"))
pool <- plm(y ~ x, data = pd, model = "pooling")
within <- plm(y ~ x, data = pd, model = "within", effect = "individual")

# jsonlite prints at most 15 significant digits: write 17 verbatim.
num17 <- function(x) structure(sprintf("%.17g", x), class = "json")
row17 <- function(x) structure(paste0("[", paste(sprintf("%.17g", x), collapse = ", "), "]"), class = "json")

entries <- list()
add <- function(name, model, ours, call, note = NULL) {
  V <- eval(parse(text = call))
  V <- unclass(V)
  attr(V, "cluster") <- NULL
  terms <- colnames(V)
  terms[terms == "(Intercept)"] <- "Intercept"
  se <- setNames(lapply(sqrt(diag(V)), num17), terms)
  entries[[length(entries) + 1L]] <<- list(
    name = name, model = model, ours = ours, r_call = call,
    terms = I(terms), se = se, vcov = lapply(seq_len(nrow(V)), function(i) row17(V[i, ])),
    note = note
  )
}

# -- pooled OLS: lm(y ~ x) ---------------------------------------------------
add("iid", "pooled", list(vcov = "iid"), "vcov(fm)")
add("hetero", "pooled", list(vcov = "hetero"), 'sandwich::vcovHC(fm, type = "HC1")')
add("CRV1 firm (vcovCL defaults)", "pooled", list(vcov = list(CRV1 = "firm")),
    "sandwich::vcovCL(fm, cluster = ~firm)",
    "vcovCL on an lm defaults to type = 'HC1', cadjust = TRUE: G/(G-1) * (N-1)/(N-K)")
add("CRV1 firm (explicit)", "pooled", list(vcov = list(CRV1 = "firm")),
    'sandwich::vcovCL(fm, cluster = ~firm, type = "HC1", cadjust = TRUE)')
add("CRV1 firm (plm sss)", "pooled", list(vcov = list(CRV1 = "firm")),
    'plm::vcovHC(pool, method = "arellano", type = "sss", cluster = "group")')
add("CRV0 firm", "pooled", list(vcov = list(CRV0 = "firm")),
    'sandwich::vcovCL(fm, cluster = ~firm, type = "HC0", cadjust = FALSE)')
add("CRV1 year", "pooled", list(vcov = list(CRV1 = "year")),
    "sandwich::vcovCL(fm, cluster = ~year)")
add("CRV1 firm+year", "pooled", list(vcov = list(CRV1 = "firm+year")),
    "sandwich::vcovCL(fm, cluster = ~firm + year)",
    paste("sum over firm, year, firm:year of sign * G_j/(G_j-1) * meat_j, each with its own G_j",
          "(the intersection term with G = number of firm-year cells, multi0 = FALSE),",
          "then the whole times (N-1)/(N-K)"))
add("CRV0 firm+year", "pooled", list(vcov = list(CRV0 = "firm+year")),
    'sandwich::vcovCL(fm, cluster = ~firm + year, type = "HC0", cadjust = FALSE)')
for (m in 0:3) {
  add(sprintf("DK %d lags (plm)", m), "pooled", list(vcov = list(DK = m)),
      sprintf('plm::vcovSCC(pool, type = "HC0", cluster = "time", maxlag = %d)', m))
  add(sprintf("DK %d lags (sandwich)", m), "pooled", list(vcov = list(DK = m)),
      sprintf("sandwich::vcovPL(fm, cluster = ~firm + year, lag = %d, adjust = FALSE)", m),
      "vcovPL: first cluster variable = panel id, second = time (order.by); time sums aggregated")
}
add("vcovPL by year alone (not Driscoll-Kraay)", "pooled", NULL,
    "sandwich::vcovPL(fm, cluster = ~year, lag = 2, adjust = FALSE)",
    paste("with one cluster variable and no order.by, vcovPL takes the running count within",
          "each year (here the firm) as the time order: a Bartlett kernel over firms, not DK"))

# -- within (firm effects absorbed): plm -----------------------------------
add("within iid", "within_firm", list(vcov = "iid"), "vcov(within)")
add("within CRV1 firm", "within_firm", list(vcov = list(CRV1 = "firm")),
    'plm::vcovHC(within, method = "arellano", type = "sss", cluster = "group")',
    "firm effects nested in the firm clusters are not counted in K, as plm's sss")
for (m in c(1, 2)) {
  add(sprintf("within DK %d lags", m), "within_firm", list(vcov = list(DK = m)),
      sprintf('plm::vcovSCC(within, type = "HC0", cluster = "time", maxlag = %d)', m))
}

coefs <- function(b) {
  n <- names(b); n[n == "(Intercept)"] <- "Intercept"; setNames(lapply(unname(b), num17), n)
}
out <- list(
  description = paste("Variance matrices of y ~ x on sandwich's PetersenCL (500 firms x 10 years),",
                      "for tests/reference/test_sandwich_petersen.py"),
  generated_by = "tests/reference/sandwich_petersen.R",
  r_version = R.version.string,
  packages = list(sandwich = as.character(packageVersion("sandwich")),
                  plm = as.character(packageVersion("plm")),
                  jsonlite = as.character(packageVersion("jsonlite"))),
  data = list(file = "data/petersen.csv", r_object = 'data("PetersenCL", package = "sandwich")',
              n = nrow(d), firms = length(unique(d$firm)), years = length(unique(d$year))),
  models = list(
    pooled = list(r_call = "fm <- lm(y ~ x, data = PetersenCL)",
                  ours = "mi.linear('y ~ x', data)", coef = coefs(coef(fm))),
    within_firm = list(
      r_call = paste('within <- plm(y ~ x, data = pdata.frame(PetersenCL, index = c("firm", "year")),',
                     'model = "within", effect = "individual")'),
      ours = "mi.linear('y ~ x | firm', data)", coef = coefs(coef(within)))
  ),
  pooled_plm = 'pool <- plm(y ~ x, data = pdata.frame(PetersenCL, index = c("firm", "year")), model = "pooling")',
  entries = entries
)
writeLines(toJSON(out, auto_unbox = TRUE, pretty = TRUE, null = "null", json_verbatim = TRUE),
           file.path(here, "sandwich_petersen.json"))
