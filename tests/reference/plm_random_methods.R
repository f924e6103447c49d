# Reference numbers for mi.random_effects(..., random_method=...): the four
# variance-component estimators of R plm's random-effects model
# (random.method = "swar", "amemiya", "walhus", "nerlove"), on plm's Grunfeld
# data, balanced and unbalanced.
#
#   Rscript tests/reference/plm_random_methods.R      (from anywhere)
#
# writes tests/reference/plm_random_methods.json (17 significant digits, R and
# package versions, the exact call of every number) and
# tests/reference/data/grunfeld_gaps.csv. Tests read the JSON and never need R.
#
# Data: Grunfeld (1958) as shipped by plm, inv ~ value + capital:
#   balanced   10 firms x 20 years (tests/reference/data/grunfeld.csv);
#   unbalanced firm i from 1935 + (i - 1) on, T_i = 21 - i
#              (tests/reference/data/grunfeld_unbalanced.csv, written by plm_grunfeld.R);
#   gaps       every row with (3 * firm + year) %% 7 == 0 left out: holes inside
#              firms, T_i between 17 and 18 (tests/reference/data/grunfeld_gaps.csv).
# Numbers per fit: coefficients, vcov() (our "iid"), the sigma2 of ercomp()
# (idios, id) and theta (per row in unbalanced panels; we compare per firm).

suppressPackageStartupMessages({
  library(plm)
  library(jsonlite)
})

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
here <- if (length(script)) dirname(normalizePath(script)) else "tests/reference"

data("Grunfeld", package = "plm")
g <- Grunfeld
g_ub <- g[g$year >= 1935 + (g$firm - 1), ]
g_gap <- g[(3 * g$firm + g$year) %% 7 != 0, ]
rownames(g_ub) <- NULL
rownames(g_gap) <- NULL
csv <- data.frame(
  firm = g_gap$firm, year = g_gap$year,
  inv = sprintf("%.17g", g_gap$inv), value = sprintf("%.17g", g_gap$value),
  capital = sprintf("%.17g", g_gap$capital)
)
write.csv(csv, file.path(here, "data", "grunfeld_gaps.csv"), row.names = FALSE, quote = FALSE)

num17 <- function(x) structure(sprintf("%.17g", x), class = "json")
named17 <- function(b) {
  n <- names(b); n[n == "(Intercept)"] <- "Intercept"; setNames(lapply(unname(b), num17), n)
}
datasets <- list(
  balanced = list(data = g, call = "Grunfeld"),
  unbalanced = list(data = g_ub, call = "Grunfeld[Grunfeld$year >= 1934 + Grunfeld$firm, ]"),
  gaps = list(data = g_gap, call = "Grunfeld[(3 * Grunfeld$firm + Grunfeld$year) %% 7 != 0, ]")
)
fits <- list()
for (dname in names(datasets)) {
  pd <- pdata.frame(datasets[[dname]]$data, index = c("firm", "year"))
  for (method in c("swar", "amemiya", "walhus", "nerlove")) {
    m <- plm(inv ~ value + capital, data = pd, model = "random", random.method = method)
    ec <- ercomp(m)
    theta <- ec$theta
    firm_theta <- tapply(as.numeric(theta) * rep(1, nrow(pd)), index(pd)$firm, function(x) x[1])
    if (length(theta) == 1) firm_theta[] <- as.numeric(theta)
    V <- vcov(m)
    fits[[paste(dname, method, sep = "/")]] <- list(
      call = sprintf(
        'plm(inv ~ value + capital, data = pdata.frame(%s, index = c("firm", "year")), model = "random", random.method = "%s")',
        datasets[[dname]]$call, method
      ),
      ours = sprintf(
        'mi.random_effects("inv ~ value + capital", <%s>, entity="firm", random_method="%s")',
        dname, method
      ),
      coef = named17(coef(m)),
      se = named17(setNames(sqrt(diag(unclass(V))), colnames(V))),
      sigma2_idios = num17(ec$sigma2[["idios"]]),
      sigma2_id = num17(ec$sigma2[["id"]]),
      theta_by_firm = lapply(unname(as.numeric(firm_theta)), num17)
    )
  }
}
out <- list(
  description = "plm random-effects variance components (random.method) on Grunfeld",
  generated_by = "tests/reference/plm_random_methods.R",
  r_version = R.version.string,
  packages = list(plm = as.character(packageVersion("plm")),
                  jsonlite = as.character(packageVersion("jsonlite"))),
  fits = fits
)
writeLines(toJSON(out, auto_unbox = TRUE, pretty = TRUE, null = "null", json_verbatim = TRUE),
           file.path(here, "plm_random_methods.json"))
