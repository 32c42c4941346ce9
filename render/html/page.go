package html

import (
	_ "embed"
	"html/template"
	"strings"

	"github.com/segscope/segscope/render/svg"
)

//go:embed page.tmpl
var pageTmpl string

//go:embed page.css
var pageCSS string

//go:embed page.js
var pageJS string

// page is the report's template; its CSS and script are part of it (the file is
// self-contained).
var page = template.Must(template.New("page").Parse(
	strings.NewReplacer("/*CSS*/", pageCSS+svg.Style, "/*JS*/", pageJS).Replace(pageTmpl)))
