#!/bin/bash
# SageMaker notebook lifecycle configuration (on start): install the idle auto-stop.
# Rendered by Terraform's templatefile(): the script below is files/notebook/autostop.py; the
# cron entry stops the instance after ${idle_seconds} s without activity.
set -euo pipefail

cat > /usr/local/bin/dsaas-autostop.py <<'AUTOSTOP'
${autostop}
AUTOSTOP

PYTHON=/home/ec2-user/anaconda3/envs/JupyterSystemEnv/bin/python
if ! "$PYTHON" -c "import boto3" 2>/dev/null; then
  PYTHON=/usr/bin/python3
fi
echo "*/5 * * * * root $PYTHON /usr/local/bin/dsaas-autostop.py --idle-seconds ${idle_seconds} >> /var/log/dsaas-autostop.log 2>&1" > /etc/cron.d/dsaas-autostop
chmod 0644 /etc/cron.d/dsaas-autostop
