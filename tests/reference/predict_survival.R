# Reference predictions for Result.predict on survival models, computed with R survival.
#
#   Rscript tests/reference/predict_survival.R      (from the repository root)
#
# reads  tests/reference/data/lung.csv (written by survival_parametric.R: survival::lung)
# writes tests/reference/predict_survival.json (17 significant digits, the R calls, versions)
#
# Weibull AFT: predict.survreg(type = "lp") is x'b and type = "response" is exp(x'b).
# Cox: predict.coxph(type = "lp", reference = "zero") is x'b (uncentred, as statsmodels'
# PHReg and mi.cox); the default reference = "sample" centres x at the sample means,
# recorded as lp_centred to document the difference.
suppressPackageStartupMessages({
  library(survival)
  library(jsonlite)
})
args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
here <- if (length(script)) dirname(normalizePath(script)) else "tests/reference"

vec17 <- function(x) structure(paste0("[", paste(sprintf("%.17g", unname(x)), collapse = ","), "]"),
                               class = "json")

lung <- read.csv(file.path(here, "data", "lung.csv"))
lung <- subset(lung, !is.na(ph.ecog))
new <- data.frame(age = c(50, 62, 75), sex = c(1, 2, 1), ph.ecog = c(0, 1, 2))

aft_call <- "survreg(Surv(time, event) ~ age + sex + ph.ecog, data = lung, dist = \"weibull\")"
aft <- survreg(Surv(time, event) ~ age + sex + ph.ecog, data = lung, dist = "weibull",
               control = survreg.control(rel.tolerance = 1e-12, maxiter = 200))
cox_call <- "coxph(Surv(time, event) ~ age + sex + ph.ecog, data = lung, ties = \"efron\")"
cox <- coxph(Surv(time, event) ~ age + sex + ph.ecog, data = lung, ties = "efron",
             control = coxph.control(eps = 1e-12, iter.max = 100))

out <- list(
  r_version = R.version.string,
  packages = list(survival = as.character(packageVersion("survival"))),
  newdata = list(age = vec17(new$age), sex = vec17(new$sex), ph_ecog = vec17(new$ph.ecog)),
  weibull = list(
    call = aft_call,
    coef = vec17(c(coef(aft), "Log(scale)" = log(aft$scale))),
    lp = vec17(predict(aft, newdata = new, type = "lp")),
    response = vec17(predict(aft, newdata = new, type = "response"))
  ),
  cox = list(
    call = cox_call,
    coef = vec17(coef(cox)),
    lp = vec17(predict(cox, newdata = new, type = "lp", reference = "zero")),
    risk = vec17(predict(cox, newdata = new, type = "risk", reference = "zero")),
    lp_centred = vec17(predict(cox, newdata = new, type = "lp"))
  )
)
writeLines(toJSON(out, auto_unbox = TRUE, pretty = TRUE, json_verbatim = TRUE),
           file.path(here, "predict_survival.json"))
