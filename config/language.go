package config

// Languages of the API's texts (error_msg, progress.info), sent as the
// X-Language header of every CodeArts Check call. Without the header the
// service answers in Chinese; the exporter asks for English by default,
// since its logs and README are in English.
const (
	LanguageEnglish = "en-us"
	LanguageChinese = "zh-cn"
	DefaultLanguage = LanguageEnglish
)

// validateLanguage defaults and checks the language key.
func (c *Config) validateLanguage() error {
	switch c.Language {
	case "":
		c.Language = DefaultLanguage
	case LanguageEnglish, LanguageChinese:
	default:
		return fieldErr("language", "%q: want %s or %s", c.Language, LanguageEnglish, LanguageChinese)
	}
	return nil
}
