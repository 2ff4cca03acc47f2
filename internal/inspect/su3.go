package inspect

import "fmt"

func inspectSU3(r *Report, b []byte, opt Options) error {
	r.Kind = "su3"
	return fmt.Errorf("su3 not supported yet")
}
