from reportgen.cli import main_exit

main_exit()
