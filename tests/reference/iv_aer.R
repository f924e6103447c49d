# Reference numbers for mi.iv (massincidents.iv) from R AER::ivreg, sandwich and AER's
# diagnostics, on the cigarette demand data of Stock and Watson shipped with AER.
#
#   Rscript tests/reference/iv_aer.R      (from the repository root)
#
# writes tests/reference/data/iv_cigarettes.csv (the data with the derived columns,
# 17 significant digits) and tests/reference/iv_aer.json (every number with the exact R
# call that produced it, R and package versions). Tests read the JSON and never need R.
#
# Data: CigarettesSW (AER; Stock and Watson, Introduction to Econometrics, ch. 12),
# 48 US states in 1985 and 1995. The models are those of AER's help page ?CigarettesSW:
# log packs per capita on the log real price (endogenous) and log real income, the price
# instrumented by the real sales tax (tdiff) and the real cigarette-specific tax (rtax).

suppressPackageStartupMessages({
  library(AER)
  library(sandwich)
  library(jsonlite)
})

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
here <- if (length(script)) dirname(normalizePath(script)) else "tests/reference"

data("CigarettesSW", package = "AER")
d <- CigarettesSW
d$lpacks <- log(d$packs)
d$lrprice <- log(d$price / d$cpi)
d$lrincome <- log(d$income / d$population / d$cpi)
d$tdiff <- (d$taxs - d$tax) / d$cpi
d$rtax <- d$tax / d$cpi
d$state <- as.character(d$state)
d$year <- as.integer(as.character(d$year))

csv <- data.frame(state = d$state, year = d$year)
for (v in c("lpacks", "lrprice", "lrincome", "tdiff", "rtax")) csv[[v]] <- sprintf("%.17g", d[[v]])
write.csv(csv, file.path(here, "data", "iv_cigarettes.csv"), row.names = FALSE, quote = FALSE)
d <- read.csv(file.path(here, "data", "iv_cigarettes.csv"))  # exactly what the tests read
d$state <- factor(d$state)
d$year <- factor(d$year)
c1995 <- subset(d, year == "1995")

num17 <- function(x) structure(if (is.na(x)) "null" else sprintf("%.17g", x), class = "json")
named <- function(x) {
  out <- lapply(x, function(v) structure(sprintf("%.17g", v), class = "json"))
  names(out) <- names(x)
  out
}
diag_list <- function(dg) {
  out <- list()
  for (r in rownames(dg)) {
    out[[r]] <- list(df1 = num17(dg[r, "df1"]), df2 = num17(dg[r, "df2"]), statistic = num17(dg[r, "statistic"]),
                     p_value = num17(dg[r, "p-value"]))
  }
  out
}
keep <- function(cf) cf[!grepl("^state|^year", names(cf))]

models <- list(
  just = list(
    formula = "lpacks ~ lrincome | lrprice ~ tdiff",
    r = "ivreg(lpacks ~ lrprice + lrincome | lrincome + tdiff, data = c1995)",
    fit = ivreg(lpacks ~ lrprice + lrincome | lrincome + tdiff, data = c1995),
    sample = "1995"
  ),
  over = list(
    formula = "lpacks ~ lrincome | lrprice ~ tdiff + rtax",
    r = "ivreg(lpacks ~ lrprice + lrincome | lrincome + tdiff + rtax, data = c1995)",
    fit = ivreg(lpacks ~ lrprice + lrincome | lrincome + tdiff + rtax, data = c1995),
    sample = "1995"
  ),
  dummies = list(
    formula = "lpacks ~ lrincome | state + year | lrprice ~ tdiff + rtax",
    r = paste("ivreg(lpacks ~ lrprice + lrincome + state + year |",
              "lrincome + state + year + tdiff + rtax, data = d)"),
    fit = ivreg(lpacks ~ lrprice + lrincome + state + year |
                  lrincome + state + year + tdiff + rtax, data = d),
    sample = "both years"
  )
)

out <- list(
  description = paste("AER::ivreg on CigarettesSW (AER); coefficients, variances and",
                      "summary(..., diagnostics = TRUE) by model; 'dummies' has state and year",
                      "fixed effects as dummy variables (only the slopes are stored)"),
  r_version = R.version.string,
  versions = list(R = R.version.string,
                  AER = as.character(packageVersion("AER")),
                  sandwich = as.character(packageVersion("sandwich")),
                  jsonlite = as.character(packageVersion("jsonlite"))),
  models = list()
)

for (name in names(models)) {
  m <- models[[name]]
  fit <- m$fit
  cf <- keep(coef(fit))
  se <- function(V) sqrt(diag(V))[names(cf)]
  entry <- list(formula = m$formula, call = m$r, sample = m$sample, nobs = nobs(fit),
                coef = named(cf),
                se = list(
                  iid = named(se(vcov(fit))),
                  HC1 = named(se(vcovHC(fit, type = "HC1"))),
                  HC0 = named(se(vcovHC(fit, type = "HC0")))
                ),
                calls = list(iid = "vcov(fit)", HC1 = 'sandwich::vcovHC(fit, type = "HC1")',
                             HC0 = 'sandwich::vcovHC(fit, type = "HC0")'),
                diagnostics = list(
                  iid = diag_list(AER:::ivdiag(fit)),
                  HC1 = diag_list(AER:::ivdiag(fit, vcov. = function(x) vcovHC(x, type = "HC1")))
                ),
                diagnostics_calls = list(
                  iid = "AER:::ivdiag(fit) (the table of summary(fit, diagnostics = TRUE))",
                  HC1 = 'AER:::ivdiag(fit, vcov. = function(x) vcovHC(x, type = "HC1"))'
                ))
  if (m$sample == "both years") {
    entry$se$CRV1_state <- named(se(vcovCL(fit, cluster = ~state, type = "HC1")))
    entry$se$CRV1_state_default <- named(se(vcovCL(fit, cluster = ~state)))
    entry$se$CRV0_state <- named(se(vcovCL(fit, cluster = ~state, type = "HC0", cadjust = FALSE)))
    entry$calls$CRV1_state <- 'sandwich::vcovCL(fit, cluster = ~state, type = "HC1")'
    entry$calls$CRV1_state_default <- paste(
      "sandwich::vcovCL(fit, cluster = ~state) (type HC0 by default for ivreg objects:",
      "G/(G-1) only)")
    entry$calls$CRV0_state <- 'sandwich::vcovCL(fit, cluster = ~state, type = "HC0", cadjust = FALSE)'
    entry$diagnostics$CRV1_state <- diag_list(AER:::ivdiag(
      fit, vcov. = function(x) vcovCL(x, cluster = d$state)))
    entry$diagnostics_calls$CRV1_state <-
      "AER:::ivdiag(fit, vcov. = function(x) vcovCL(x, cluster = d$state))"
  }
  out$models[[name]] <- entry
}

writeLines(toJSON(out, auto_unbox = TRUE, pretty = TRUE, null = "null", json_verbatim = TRUE),
           file.path(here, "iv_aer.json"))
