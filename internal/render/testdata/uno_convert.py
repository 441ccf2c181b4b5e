# A resident LibreOffice's converter for BenchmarkLibreOfficeBalashikha/resident: it connects
# to a running soffice over a UNO pipe, then converts one DOCX to PDF per line read from stdin
# ("source<TAB>target") and answers "ok" (or "error: ...") on stdout, so the benchmark times
# the conversion alone, not a process start.
import sys
import time

import uno
from com.sun.star.beans import PropertyValue


def prop(name, value):
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def main():
    pipe = sys.argv[1]
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    deadline = time.time() + 60
    while True:
        try:
            ctx = resolver.resolve("uno:pipe,name=%s;urp;StarOffice.ComponentContext" % pipe)
            break
        except Exception:
            if time.time() > deadline:
                raise
            time.sleep(0.1)
    desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
    print("ready", flush=True)
    for line in sys.stdin:
        src, dst = line.rstrip("\n").split("\t")
        try:
            doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(src), "_blank", 0, (prop("Hidden", True),))
            doc.storeToURL(uno.systemPathToFileUrl(dst), (prop("FilterName", "writer_pdf_Export"), prop("Overwrite", True)))
            doc.close(True)
            print("ok", flush=True)
        except Exception as e:
            print("error: %s" % e, flush=True)
    try:
        desktop.terminate()
    except Exception:
        pass  # the office quits before it answers


main()
